"""Stopgap battery of bad requests from outside: each must get a 4xx problem with a code, and
the sale's stock must be unchanged afterwards.    python3 load/bad_requests.py"""
import sys, json, time, os
sys.argv=[sys.argv[0]]
exec(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "race.py")).read().split("ADMIN=token(1,True)")[0])
ADMIN=token(1,True); U=token(4242)
iso=lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ",time.gmtime(t)); now=time.time()
st,sale=req("POST","/api/admin/sales",{"sku":"BAD","name":"bad","price":5,"stock":10,"startsAt":iso(now-1),"endsAt":iso(now+3600),"perUserLimit":2},ADMIN); sid=sale["id"]
def snap():
    return json.dumps(req("GET",f"/api/admin/sales/{sid}/stock",tok=ADMIN)[1],sort_keys=True)
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
]
before=snap(); ok=0
for name,m,p,body,tok,ct in cases:
    try:
        st,b=req(m,p,tok=tok,raw=body,ctype=ct)
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
