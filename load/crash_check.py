"""Kill -9 in the middle of a sale, restart, and compare MySQL with what buyers were told.

Against a clustered instance you start and restart yourself (README "Run clustered"):

    python3 load/crash_check.py start      # creates a sale of STOCK units, races USERS buyers;
                                           # kill -9 the server while it runs (the script says when)
    python3 load/crash_check.py verify     # after the restart: every 201/202 is an order, no user
                                           # has two, sold <= stock, conservation holds

The answers of the first step are kept in /tmp/seckill-crash-check.json. Env as seckill_http.py,
plus STOCK (300) and USERS (3000).
"""
import sys, json, os, time, collections
from concurrent.futures import ThreadPoolExecutor
from seckill_http import token, req, address_of, create_sale, settled_stock, conserved

STATE = "/tmp/seckill-crash-check.json"
ADMIN = token(1, True)
stock = int(os.environ.get("STOCK", "300"))
users = int(os.environ.get("USERS", "3000"))

if sys.argv[1:] == ["start"]:
    sid = create_sale(ADMIN, stock)
    print(f"sale {sid}: racing {users} buyers for {stock} units; kill -9 the server now")
    def buy(u):
        try:
            st, b, _ = req("POST", f"/api/sales/{sid}/purchase", {"quantity": 1}, token(u), source=address_of(u))
            return (u, st, (b or {}).get("orderId"))
        except Exception:
            return (u, 0, None)   # no answer: the server died under this request
    with ThreadPoolExecutor(200) as ex:
        outcomes = list(ex.map(buy, range(1000, 1000 + users)))
    told = {str(u): o for u, st, o in outcomes if st in (201, 202)}
    json.dump({"sale": sid, "told": told}, open(STATE, "w"))
    print("answers:", dict(collections.Counter(st for _, st, _ in outcomes)), f"acknowledged {len(told)}")
elif sys.argv[1:] == ["verify"]:
    state = json.load(open(STATE))
    sid, told = state["sale"], state["told"]
    s = settled_stock(ADMIN, sid)
    missing = []
    for u, oid in told.items():
        st, b, _ = req("GET", f"/api/orders/{oid}", None, ADMIN)
        if st != 200 or str(b["userId"]) != u or b["status"] not in ("awaiting_payment", "paid"):
            missing.append((u, oid, st))
    ok = not missing and s["sold"] <= s["total"] and s["sold"] >= len(told) and conserved(s)
    print(f"sale {sid}: acknowledged {len(told)}, found {len(told) - len(missing)}, sold {s['sold']} of {s['total']}, "
          f"pool {s['pool']} available {s['available']} reserved {s['reserved']} inTransit {s['inTransit']}, conserved {conserved(s)}")
    print("RESULT", "PASS" if ok else f"FAIL missing={missing[:5]}")
    sys.exit(0 if ok else 1)
else:
    print(__doc__); sys.exit(2)
