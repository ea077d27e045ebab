"""Shared helpers of the outside check scripts (race.py, bad_requests.py, gate_check.py, crash_check.py and the bench scripts; the load tool is load/Seckill.Load).

Every request looks like a browser (the purchase route refuses scripts' User-Agents) and can be
sent from its own loopback address (127.x.y.z reaches a server listening on 127.0.0.1 on Linux),
so thousands of users on one machine are thousands of clients to the per-address rate limit.
"""
import os, base64, hmac, hashlib, json, time, http.client, threading

KEY = os.environ.get("SECKILL_KEY", "dev-only-signing-key-change-me-in-production-0123456789").encode()
HOST, PORT = os.environ.get("SECKILL_HOST", "127.0.0.1"), int(os.environ.get("SECKILL_PORT", "5000"))
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"

def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=")

def token(sub, admin=False):
    h = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    p = {"sub": str(sub), "iss": "seckill", "aud": "seckill", "exp": int(time.time()) + 3600, "nbf": int(time.time()) - 10}
    if admin: p["role"] = "admin"
    p = b64(json.dumps(p).encode())
    s = b64(hmac.new(KEY, h + b"." + p, hashlib.sha256).digest())
    return (h + b"." + p + b"." + s).decode()

def address_of(n):
    """The n-th client address: 127.1.0.1, 127.1.0.2, ... (n >= 0)."""
    return f"127.{1 + n // 65024}.{(n // 254) % 256}.{n % 254 + 1}"

_local = threading.local()

def req(method, path, body=None, tok=None, ctype="application/json", raw=None, source=None, agent=BROWSER, headers=None):
    """One request; returns (status, parsed body or None, response headers). Keeps one connection per thread and source."""
    conns = _local.__dict__.setdefault("conns", {})
    hdr = dict(headers or {})
    if agent is not None: hdr["User-Agent"] = agent
    if tok: hdr["Authorization"] = "Bearer " + tok
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    if data is not None: hdr["Content-Type"] = ctype
    for attempt in (0, 1):
        c = conns.get(source)
        if c is None:
            c = conns[source] = http.client.HTTPConnection(HOST, PORT, timeout=60, source_address=(source, 0) if source else None)
        try:
            # http.client adds its own User-Agent unless one is given; skip_accept_encoding keeps it minimal.
            c.putrequest(method, path, skip_accept_encoding=True)
            for k, v in hdr.items(): c.putheader(k, v)
            if data is not None: c.putheader("Content-Length", str(len(data)))
            c.endheaders(data)
            r = c.getresponse(); d = r.read()
            if source: c.close(); conns.pop(source, None)
            return r.status, (json.loads(d) if d else None), dict(r.getheaders())
        except (ConnectionError, http.client.HTTPException, OSError):
            conns.pop(source, None)
            if attempt: raise

def iso(t): return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))

def create_sale(admin, stock, per_user=1, require_token=False, starts_in=-1, lasts=3600, name="outside check"):
    now = time.time()
    st, sale, _ = req("POST", "/api/admin/sales", {"sku": "EXT", "name": name, "price": 5, "stock": stock, "startsAt": iso(now + starts_in),
                      "endsAt": iso(now + starts_in + lasts), "perUserLimit": per_user, "requireToken": require_token}, admin)
    assert st == 201, (st, sale)
    return sale["id"]

def settled_stock(admin, sale_id):
    """Waits until nothing is reserved or moving, then returns the stock report."""
    for _ in range(600):
        st, s, _ = req("GET", f"/api/admin/sales/{sale_id}/stock", tok=admin)
        if s["reserved"] == 0 and s["inTransit"] == 0: return s
        time.sleep(0.1)
    return s

def conserved(s): return s["total"] == s["pool"] + s["available"] + s["reserved"] + s["inTransit"] + s["sold"]
