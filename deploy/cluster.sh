#!/usr/bin/env bash
# A whole Seckill cluster on one machine, as the current user, in one state folder: N instances
# of the published binary, each with its own shard redis-server (AOF on), one pool redis-server,
# one MariaDB, and Nginx in front (deploy/nginx/seckill.conf). No service manager, no sudo.
#
#   deploy/cluster.sh up [N]      start what is not running (N instances, default 3; the folder remembers N)
#   deploy/cluster.sh status      each part: pid, port, running, ready
#   deploy/cluster.sh down        stop everything it started, by pid (data stays in the folder)
#   deploy/cluster.sh kill <i>    kill -9 instance i (a fault drill); the others reclaim its shard
#   deploy/cluster.sh start <i>   start instance i again (it rejoins)
#
# Settings (environment, read on every command; the first `up` records the ports in the folder):
#   SECKILL_CLUSTER_DIR   the state folder (default: cluster-data in the repository)
#   SECKILL_CLUSTER_PORT  Nginx's port (default 8080); instance i listens on SECKILL_INSTANCE_PORT + i
#   (default 5000), the pool Redis on SECKILL_REDIS_PORT (default 6390) and shard i on that + i,
#   MariaDB on SECKILL_MYSQL_PORT (default 3316), all on 127.0.0.1.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${SECKILL_CLUSTER_DIR:-$repo/cluster-data}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if [ -f "$dir/cluster.env" ]; then
    . "$dir/cluster.env"
else
    instances=3
    nginx_port=${SECKILL_CLUSTER_PORT:-8080}
    instance_port=${SECKILL_INSTANCE_PORT:-5000}
    redis_port=${SECKILL_REDIS_PORT:-6390}
    mysql_port=${SECKILL_MYSQL_PORT:-3316}
fi
run=$dir/run
logs=$dir/logs

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

say() { printf '%s\n' "$*"; }

# Every program the cluster needs, named with the Debian packages that bring them.
need() {
    local missing=()
    for program in redis-server redis-cli mariadbd mariadb-install-db mariadb-admin mariadb nginx curl dotnet; do
        command -v "$program" >/dev/null 2>&1 || [ -x "/usr/sbin/$program" ] || missing+=("$program")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        say "missing: ${missing[*]}"
        say "install them with:  apt-get update && apt-get install -y redis-server mariadb-server nginx curl"
        say "(and the .NET 10 SDK for dotnet)"
        exit 1
    fi
}

program() { command -v "$1" 2>/dev/null || echo "/usr/sbin/$1"; }

pid_of() { [ -f "$run/$1.pid" ] && cat "$run/$1.pid" || true; }

running() { local pid; pid=$(pid_of "$1"); [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Waits up to $2 seconds for the command in $3... to succeed; fails naming $1.
wait_for() {
    local what=$1 seconds=$2; shift 2
    for _ in $(seq 1 $((seconds * 5))); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.2
    done
    say "$what did not become ready in ${seconds}s; see $logs/"
    exit 1
}

start_redis() {
    local name=$1 port=$2
    running "redis-$name" && return 0
    port_free "$port" || { say "port $port (redis $name) is taken by something else"; exit 1; }
    mkdir -p "$dir/redis-$name"
    redis-server --port "$port" --bind 127.0.0.1 --appendonly yes --appendfsync everysec \
        --dir "$dir/redis-$name" --daemonize yes --pidfile "$run/redis-$name.pid" --logfile "$logs/redis-$name.log"
    wait_for "redis $name" 20 redis-cli -p "$port" ping
}

start_mysql() {
    running mysql && return 0
    port_free "$mysql_port" || { say "port $mysql_port (MariaDB) is taken by something else"; exit 1; }
    if [ ! -d "$dir/mysql/mysql" ]; then
        mkdir -p "$dir/mysql"
        "$(program mariadb-install-db)" --datadir="$dir/mysql" --user="$(whoami)" --auth-root-authentication-method=normal \
            > "$logs/mysql-install.log" 2>&1
    fi
    "$(program mariadbd)" --datadir="$dir/mysql" --socket="$run/mysql.sock" --port="$mysql_port" --bind-address=127.0.0.1 \
        --user="$(whoami)" --pid-file="$run/mysql.pid" --log-error="$logs/mysql.log" > /dev/null 2>&1 &
    wait_for MariaDB 60 "$(program mariadb-admin)" --socket="$run/mysql.sock" ping
    # `seckill%`: the database, and the ones the startup rehearsal makes and drops beside it (README "Run clustered").
    "$(program mariadb)" --socket="$run/mysql.sock" -e "CREATE DATABASE IF NOT EXISTS seckill;
        CREATE USER IF NOT EXISTS seckill@localhost IDENTIFIED BY 'seckill'; GRANT ALL ON \`seckill%\`.* TO seckill@localhost;
        CREATE USER IF NOT EXISTS seckill@'127.0.0.1' IDENTIFIED BY 'seckill'; GRANT ALL ON \`seckill%\`.* TO seckill@'127.0.0.1';"
}

signing_key() {
    [ -f "$dir/signing-key" ] || od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$dir/signing-key"
    cat "$dir/signing-key"
}

publish() {
    say "publishing Seckill.Web (Release) into $dir/bin ..."
    dotnet publish "$repo/Seckill.Web" -c Release -o "$dir/bin" --nologo -v quiet > "$logs/publish.log" 2>&1 ||
        { cat "$logs/publish.log"; exit 1; }
}

start_instance() {
    local i=$1 port=$((instance_port + $1))
    running "instance-$i" && return 0
    port_free "$port" || { say "port $port (instance $i) is taken by something else"; exit 1; }
    (
        cd "$dir/bin"
        export ASPNETCORE_URLS="http://127.0.0.1:$port" ASPNETCORE_ENVIRONMENT=Production
        export ConnectionStrings__Mysql="Server=127.0.0.1;Port=$mysql_port;Database=seckill;User Id=seckill;Password=seckill"
        export Redis__Shard="127.0.0.1:$((redis_port + i))" Redis__Pool="127.0.0.1:$redis_port" Seckill__InstanceId="$i"
        export Auth__SigningKey="$(signing_key)" RateLimits__TrustedProxies__0=127.0.0.1
        nohup dotnet Seckill.Web.dll >> "$logs/instance-$i.log" 2>&1 &
        echo $! > "$run/instance-$i.pid"
    )
}

wait_instance() {
    wait_for "instance $1" 90 curl -sf "http://127.0.0.1:$((instance_port + $1))/health/ready"
}

start_nginx() {
    running nginx && return 0
    port_free "$nginx_port" || { say "port $nginx_port (Nginx) is taken by something else"; exit 1; }
    mkdir -p "$dir/nginx/tmp"
    local servers=""
    for i in $(seq 1 "$instances"); do
        servers+="    server 127.0.0.1:$((instance_port + i)) max_fails=3 fail_timeout=5s;\n"
    done
    # The shipped file, with this cluster's instances, port and log.
    awk -v servers="$servers" '
        /^    server 127\.0\.0\.1:/ { if (!done) { printf "%s", servers; done = 1 } next }
        { print }' "$repo/deploy/nginx/seckill.conf" |
        sed -e "s|^    listen 8080;|    listen 127.0.0.1:$nginx_port;|" \
            -e "s|/var/log/nginx/seckill.access.log|$logs/nginx-access.log|" > "$dir/nginx/seckill.conf"
    local user=""
    [ "$(id -u)" -eq 0 ] && user="user root;"
    cat > "$dir/nginx/nginx.conf" <<CONF
$user
worker_processes auto;
pid $run/nginx.pid;
error_log $logs/nginx-error.log;
events { worker_connections 8192; }
http {
    client_body_temp_path $dir/nginx/tmp/body;
    proxy_temp_path $dir/nginx/tmp/proxy;
    fastcgi_temp_path $dir/nginx/tmp/fastcgi;
    uwsgi_temp_path $dir/nginx/tmp/uwsgi;
    scgi_temp_path $dir/nginx/tmp/scgi;
    include $dir/nginx/seckill.conf;
}
CONF
    "$(program nginx)" -t -q -p "$dir/nginx" -e "$logs/nginx-error.log" -c "$dir/nginx/nginx.conf"
    "$(program nginx)" -p "$dir/nginx" -e "$logs/nginx-error.log" -c "$dir/nginx/nginx.conf"
    wait_for Nginx 20 curl -sf "http://127.0.0.1:$nginx_port/health/live"
}

# Stops the part by its pid: TERM, then KILL after $2 seconds.
stop() {
    local name=$1 seconds=${2:-20} pid
    pid=$(pid_of "$name")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 $((seconds * 5))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
        say "stopped $name (pid $pid)"
    fi
    rm -f "$run/$name.pid"
}

up() {
    need
    if [ -n "${1:-}" ]; then
        [[ "$1" =~ ^[1-9][0-9]?$ ]] || usage
        if [ -f "$dir/cluster.env" ] && [ "$1" != "$instances" ]; then
            say "$dir was set up with $instances instances; 'down' and remove it to change that"; exit 1
        fi
        instances=$1
    fi
    mkdir -p "$run" "$logs"
    cat > "$dir/cluster.env" <<ENV
instances=$instances
nginx_port=$nginx_port
instance_port=$instance_port
redis_port=$redis_port
mysql_port=$mysql_port
ENV
    publish
    start_redis pool "$redis_port"
    for i in $(seq 1 "$instances"); do start_redis "shard-$i" $((redis_port + i)); done
    start_mysql
    # The first instance migrates the schema alone; then the others start together.
    start_instance 1
    wait_instance 1
    for i in $(seq 2 "$instances"); do start_instance "$i"; done
    for i in $(seq 2 "$instances"); do wait_instance "$i"; done
    start_nginx
    local admin
    admin=$(cd "$dir/bin" && Auth__SigningKey="$(signing_key)" dotnet Seckill.Web.dll token --user 1 --admin --hours 24)
    say ""
    say "Seckill cluster up: $instances instances behind Nginx, state in $dir"
    say "  URL:          http://127.0.0.1:$nginx_port"
    say "  admin token:  $admin"
    say "  dashboard:    http://127.0.0.1:$nginx_port/hangfire (POST /api/admin/session with the token first; README, Jobs)"
    say "  signing key:  $dir/signing-key (tokens: Auth__SigningKey=\$(cat $dir/signing-key) dotnet $dir/bin/Seckill.Web.dll token --user 42)"
    say "  status:       $0 status      stop: $0 down"
}

status() {
    printf '%-12s %-8s %-6s %-8s %s\n' part pid port running ready
    line() {
        local name=$1 port=$2; shift 2
        local state=no ready=no
        running "$name" && state=yes
        [ "$state" = yes ] && "$@" >/dev/null 2>&1 && ready=yes
        printf '%-12s %-8s %-6s %-8s %s\n' "$name" "$(pid_of "$name")" "$port" "$state" "$ready"
    }
    line nginx "$nginx_port" curl -sf "http://127.0.0.1:$nginx_port/health/live"
    for i in $(seq 1 "$instances"); do
        line "instance-$i" $((instance_port + i)) curl -sf "http://127.0.0.1:$((instance_port + i))/health/ready"
    done
    line redis-pool "$redis_port" redis-cli -p "$redis_port" ping
    for i in $(seq 1 "$instances"); do
        line "redis-shard-$i" $((redis_port + i)) redis-cli -p $((redis_port + i)) ping
    done
    line mysql "$mysql_port" "$(program mariadb-admin)" --socket="$run/mysql.sock" ping
}

down() {
    stop nginx 10
    for i in $(seq 1 "$instances"); do stop "instance-$i" 20; done
    stop redis-pool 20
    for i in $(seq 1 "$instances"); do stop "redis-shard-$i" 20; done
    stop mysql 60
}

instance_arg() {
    [[ "${1:-}" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le "$instances" ] || { say "no instance '${1:-}' (1 to $instances)"; exit 2; }
}

case "${1:-}" in
    up) up "${2:-}" ;;
    status) status ;;
    down) down ;;
    kill) instance_arg "${2:-}"; pid=$(pid_of "instance-$2"); running "instance-$2" && kill -KILL "$pid" && say "killed instance $2 (pid $pid)" || say "instance $2 is not running" ;;
    start) instance_arg "${2:-}"; need; mkdir -p "$run" "$logs"; start_instance "$2"; wait_instance "$2"; say "instance $2 is up (pid $(pid_of "instance-$2"))" ;;
    -h|--help|help) usage 0 ;;
    *) usage ;;
esac
