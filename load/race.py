"""Stopgap race check from outside, until the load tool of load/ exists (issue 5).

Creates a sale of STOCK units through the admin API, fires USERS distinct buyers (plus a fifth
of them a second time) at it from 400 threads over real HTTP, waits for the writer to drain,
then checks: exactly min(STOCK, USERS) orders, none duplicated, every acknowledged order found,
and total = pool + available + reserved + inTransit + sold on the admin stock endpoint.

    python3 load/race.py [STOCK] [USERS]     # against http://localhost:5000 (dotnet run)

Each buyer sends from its own loopback address with a browser's User-Agent (see seckill_http.py).
Env: SECKILL_PORT (5000), SECKILL_KEY (the development signing key of appsettings.json).
"""
import sys, json, time, random, collections
from concurrent.futures import ThreadPoolExecutor
from seckill_http import token, req, address_of, create_sale, settled_stock, conserved
ADMIN=token(1,True)
stock=int(sys.argv[1]) if len(sys.argv)>1 else 100
users=int(sys.argv[2]) if len(sys.argv)>2 else 5000
sid=create_sale(ADMIN,stock)
toks={u:token(u) for u in range(1000,1000+users)}
attempts=list(toks)+list(toks)[:users//5]
random.shuffle(attempts)
outcomes=[]
def buy(u):
    # Each user from its own address, as real buyers are: the per-address limit is not in play.
    st,b,_=req("POST",f"/api/sales/{sid}/purchase",{"quantity":1},toks[u],source=address_of(u))
    return (u,st,(b or {}).get("code",""),(b or {}).get("orderId"))
t=time.time()
with ThreadPoolExecutor(400) as ex: outcomes=list(ex.map(buy,attempts))
wall=time.time()-t
c=collections.Counter((o[1],o[2]) for o in outcomes)
print(f"{len(attempts)} purchase requests ({users} distinct users) in {wall:.2f}s: "+", ".join(f"{k[0]} {k[1]}:{v}" for k,v in sorted(c.items())))
wins={o[0]:o[3] for o in outcomes if o[1] in (201,202)}
assert len(wins)==sum(1 for o in outcomes if o[1] in (201,202)), "a user won twice"
s=settled_stock(ADMIN,sid)
print("stock:",json.dumps(s))
print("conservation:", "OK" if conserved(s) else "BROKEN")
bad=0
for u,oid in wins.items():
    st,o,_=req("GET",f"/api/orders/{oid}",tok=ADMIN)
    if st!=200 or o["status"]!="awaiting_payment" or int(o["userId"])!=u: bad+=1
print(f"acknowledged orders: {len(wins)}, found as awaiting_payment of their buyer: {len(wins)-bad}; sold={s['sold']} stock={stock}")
ok=bad==0 and s["sold"]==min(stock,users) and conserved(s) and len(wins)==min(stock,users)
print("RESULT", "PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
