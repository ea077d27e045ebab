"""Stopgap race check from outside, until the load tool of load/ exists (issue 5).

Creates a sale of STOCK units through the admin API, fires USERS distinct buyers (plus a fifth
of them a second time) at it from 400 threads over real HTTP, waits for the writer to drain,
then checks: exactly min(STOCK, USERS) orders, none duplicated, every acknowledged order found,
and total = pool + available + reserved + inTransit + sold on the admin stock endpoint.

    python3 load/race.py [STOCK] [USERS]     # against http://localhost:5000 (dotnet run)

Env: SECKILL_PORT (5000), SECKILL_KEY (the development signing key of appsettings.json).
"""
import os, base64, hmac, hashlib, json, time, sys, http.client, threading, collections
from concurrent.futures import ThreadPoolExecutor
KEY=os.environ.get("SECKILL_KEY","dev-only-signing-key-change-me-in-production-0123456789").encode()
HOST, PORT = "localhost", int(os.environ.get("SECKILL_PORT","5000"))
def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=")
def token(sub, admin=False):
    h=b64(json.dumps({"alg":"HS256","typ":"JWT"}).encode())
    p={"sub":str(sub),"iss":"seckill","aud":"seckill","exp":int(time.time())+3600,"nbf":int(time.time())-10}
    if admin: p["role"]="admin"
    p=b64(json.dumps(p).encode())
    s=b64(hmac.new(KEY,h+b"."+p,hashlib.sha256).digest())
    return (h+b"."+p+b"."+s).decode()
local=threading.local()
def req(method,path,body=None,tok=None,ctype="application/json",raw=None):
    if not hasattr(local,"c"): local.c=http.client.HTTPConnection(HOST,PORT,timeout=60)
    hdr={}
    if tok: hdr["Authorization"]="Bearer "+tok
    data=raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    if data is not None: hdr["Content-Type"]=ctype
    try:
        local.c.request(method,path,body=data,headers=hdr); r=local.c.getresponse(); d=r.read()
    except Exception:
        local.c=http.client.HTTPConnection(HOST,PORT,timeout=60); local.c.request(method,path,body=data,headers=hdr); r=local.c.getresponse(); d=r.read()
    return r.status, (json.loads(d) if d else None)
ADMIN=token(1,True)
now=time.time()
iso=lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ",time.gmtime(t))
stock=int(sys.argv[1]) if len(sys.argv)>1 else 100
users=int(sys.argv[2]) if len(sys.argv)>2 else 5000
st,sale=req("POST","/api/admin/sales",{"sku":"EXT","name":"ext race","price":5,"stock":stock,"startsAt":iso(now-1),"endsAt":iso(now+3600),"perUserLimit":1},ADMIN)
assert st==201,(st,sale); sid=sale["id"]
toks={u:token(u) for u in range(1000,1000+users)}
attempts=list(toks)+list(toks)[:users//5]
import random; random.shuffle(attempts)
outcomes=[]
def buy(u):
    st,b=req("POST",f"/api/sales/{sid}/purchase",{"quantity":1},toks[u])
    return (u,st,(b or {}).get("code",""),(b or {}).get("orderId"))
t=time.time()
with ThreadPoolExecutor(400) as ex: outcomes=list(ex.map(buy,attempts))
wall=time.time()-t
c=collections.Counter((o[1],o[2]) for o in outcomes)
print(f"{len(attempts)} purchase requests ({users} distinct users) in {wall:.2f}s: "+", ".join(f"{k[0]} {k[1]}:{v}" for k,v in sorted(c.items())))
wins={o[0]:o[3] for o in outcomes if o[1] in (201,202)}
assert len(wins)==sum(1 for o in outcomes if o[1] in (201,202)), "a user won twice"
# wait until nothing queued
for _ in range(300):
    st,s=req("GET",f"/api/admin/sales/{sid}/stock",tok=ADMIN)
    if s["reserved"]==0 and s["inTransit"]==0: break
    time.sleep(0.1)
print("stock:",json.dumps(s))
cons=s["pool"]+s["available"]+s["reserved"]+s["inTransit"]+s["sold"]
print("conservation:",s["total"],"==",cons, "OK" if s["total"]==cons else "BROKEN")
bad=0
for u,oid in wins.items():
    st,o=req("GET",f"/api/orders/{oid}",tok=toks[u])
    if st!=200 or o["status"]!="awaiting_payment" or o["userId"]!=u: bad+=1
print(f"acknowledged orders: {len(wins)}, found as awaiting_payment of their buyer: {len(wins)-bad}; sold={s['sold']} stock={stock}")
ok=bad==0 and s["sold"]==min(stock,users) and s["total"]==cons and len(wins)==min(stock,users)
print("RESULT", "PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
