"""Stopgap battery of bad requests from outside: each must get a 4xx problem with a code, and
the sale's stock must be unchanged afterwards.    python3 load/bad_requests.py"""
import sys, json, time
from seckill_http import token, req, iso, create_sale, address_of
ADMIN=token(1,True); U=token(4242); now=time.time()
sid=create_sale(ADMIN,10,per_user=2)
def snap():
    return json.dumps(req("GET",f"/api/admin/sales/{sid}/stock",tok=ADMIN)[1],sort_keys=True)+json.dumps(req("GET","/api/admin/blacklist",tok=ADMIN)[1])
wrongkey=token(4242).rsplit(".",1)[0]+".AAAA"
cases=[
 ("malformed json","POST",f"/api/sales/{sid}/purchase",b'{"quantity":',U,"application/json"),
 ("wrong type","POST",f"/api/sales/{sid}/purchase",b'{"quantity":"2"}',U,"application/json"),
 ("quantity 0","POST",f"/api/sales/{sid}/purchase",b'{"quantity":0}',U,"application/json"),
 ("quantity -1","POST",f"/api/sales/{sid}/purchase",b'{"quantity":-1}',U,"application/json"),
 ("quantity > limit","POST",f"/api/sales/{sid}/purchase",b'{"quantity":3}',U,"application/json"),
 ("quantity 2^40","POST",f"/api/sales/{sid}/purchase",b'{"quantity":1099511627776}',U,"application/json"),
 ("non-numeric id","POST","/api/sales/abc/purchase",b'{"quantity":1}',U,"application/json"),
 ("out-of-range id","POST","/api/sales/99999999999999999999/purchase",b'{"quantity":1}',U,"application/json"),
 ("unknown sale","POST","/api/sales/777777/purchase",b'{"quantity":1}',U,"application/json"),
 ("no token","POST",f"/api/sales/{sid}/purchase",b'{"quantity":1}',None,"application/json"),
 ("wrong signature","POST",f"/api/sales/{sid}/purchase",b'{"quantity":1}',wrongkey,"application/json"),
 ("non-admin create","POST","/api/admin/sales",json.dumps({"sku":"x","name":"x","price":1,"stock":5,"startsAt":iso(now),"endsAt":iso(now+60)}).encode(),U,"application/json"),
 ("non-admin stock","GET",f"/api/admin/sales/{sid}/stock",None,U,"application/json"),
 ("unknown admin field","POST","/api/admin/sales",json.dumps({"sku":"x","name":"x","price":1,"stock":5,"startsAt":iso(now),"endsAt":iso(now+60),"hack":1}).encode(),ADMIN,"application/json"),
 ("form body","POST",f"/api/sales/{sid}/purchase",b'quantity=1',U,"application/x-www-form-urlencoded"),
 ("non-admin blacklists","POST","/api/admin/blacklist/7",None,U,"application/json"),
 ("non-numeric user to blacklist","POST","/api/admin/blacklist/abc",None,ADMIN,"application/json"),
 ("purchase token for an unknown sale","GET","/api/sales/777777/token",None,U,"application/json"),
]
before=snap(); ok=0
for i,(name,m,p,body,tok,ct) in enumerate(cases):
    try:
        # Each case from its own address and user (a fresh buyer token): the per-address and
        # per-user limits are not what is being checked here.
        tok=token(60000+i) if tok==U else tok
        st,b,_=req(m,p,tok=tok,raw=body,ctype=ct,source=address_of(50000+i))
    except Exception as e:
        st,b=0,{"code":str(e)}
    code=(b or {}).get("code")
    good=400<=st<500 and code
    ok+=bool(good)
    print(f"{'ok ' if good else 'BAD'} {st} {code:<24} {name}")
after=snap()
print(f"{ok}/{len(cases)} refused with a 4xx and a code; stock unchanged: {before==after}")
# (A 10 MB body is answered 413 before it is read; http.client writes the whole body first and
# sees the connection close, so check that one with curl --data-binary.)
sys.exit(0 if ok==len(cases) and before==after else 1)
