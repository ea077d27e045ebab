"""Mixed traffic against a running Seckill, from outside, and what the request gate made of it.

    python3 load/gate_check.py        # against http://127.0.0.1:5000 (dotnet run), default limits

Real buyers (each from its own loopback address, browser User-Agent) race for a sale and for a
token sale with their tokens; meanwhile token-less buyers hit the token sale, blacklisted users
hit the sale, a bot storm fires from one address, a script with curl's User-Agent tries, and junk
sale ids rain in. Then it checks: 0 orders for blacklisted users and token-less buyers, no more
bot requests admitted than the per-address permits allow, unknown ids answered 404 with no more
storage reads than the filter's false positives, every acknowledged order real, stock conserved.
"""
import sys, json, time, random, collections, threading
from concurrent.futures import ThreadPoolExecutor
from seckill_http import token, req, address_of, create_sale, settled_stock, conserved

ADMIN = token(1, True)
random.seed(7)
SALE_STOCK, TOKEN_STOCK = 200, 100
sale = create_sale(ADMIN, SALE_STOCK, name="gate check")
token_sale = create_sale(ADMIN, TOKEN_STOCK, require_token=True, name="gate check, token sale")
metrics_before = req("GET", "/api/admin/metrics", tok=ADMIN)[1]

results = collections.defaultdict(collections.Counter)   # group -> (status, code) -> n
orders = collections.defaultdict(list)                   # group -> [(user, order id)]
lock = threading.Lock()
def record(group, user, status, body):
    with lock:
        results[group][(status, (body or {}).get("code", ""))] += 1
        if status in (201, 202): orders[group].append((user, body["orderId"]))

def buyer(u):               # a real buyer of the plain sale
    st, b, _ = req("POST", f"/api/sales/{sale}/purchase", {"quantity": 1}, token(u), source=address_of(u))
    record("buyers", u, st, b)
def token_buyer(u):         # a real buyer of the token sale: fetch the token, then buy with it
    src = address_of(u); tok = token(u)
    st, b, _ = req("GET", f"/api/sales/{token_sale}/token", tok=tok, source=src)
    if st != 200: return record("token buyers", u, st, b)
    st, b, _ = req("POST", f"/api/sales/{token_sale}/purchase", {"quantity": 1, "token": b["token"]}, tok, source=src)
    record("token buyers", u, st, b)
def tokenless(u):           # buyers of the token sale who skip the token
    st, b, _ = req("POST", f"/api/sales/{token_sale}/purchase", {"quantity": 1}, token(u), source=address_of(u))
    record("token-less", u, st, b)
def blacklisted(u):
    st, b, _ = req("POST", f"/api/sales/{sale}/purchase", {"quantity": 1}, token(u), source=address_of(u))
    record("blacklisted", u, st, b)
BOT_ADDRESS = "127.250.0.1"
def bot(i):                 # one address, many identities, as fast as it can
    u = 900_000 + i % 50
    st, b, _ = req("POST", f"/api/sales/{sale}/purchase", {"quantity": 1}, token(u), source=BOT_ADDRESS)
    record("bot storm", u, st, b)
def script(u):              # a script that does not bother to lie about its User-Agent
    st, b, _ = req("POST", f"/api/sales/{sale}/purchase", {"quantity": 1}, token(u), source=address_of(u), agent="curl/8.5.0")
    record("scripts", u, st, b)
def junk(i):                # sale ids that do not exist
    sid = random.randrange(10**9, 10**15)
    st, b, _ = req("GET" if i % 2 else "POST", f"/api/sales/{sid}" if i % 2 else f"/api/sales/{sid}/purchase",
                   None if i % 2 else {"quantity": 1}, token(700_000 + i), source=address_of(200_000 + i))
    record("unknown ids", i, st, b)

BLACKLISTED = list(range(300_000, 300_200))
for u in BLACKLISTED:
    assert req("POST", f"/api/admin/blacklist/{u}", tok=ADMIN)[0] == 200

work = ([(buyer, u) for u in range(10_000, 13_000)] + [(token_buyer, u) for u in range(20_000, 20_400)]
        + [(tokenless, u) for u in range(30_000, 31_000)] + [(blacklisted, u) for u in BLACKLISTED * 5]
        + [(bot, i) for i in range(3_000)] + [(script, u) for u in range(40_000, 40_200)] + [(junk, i) for i in range(3_000)])
random.shuffle(work)
started = time.time()
bot_times = []
def run(item):
    fn, arg = item
    fn(arg)
    if fn is bot: bot_times.append(time.time())
with ThreadPoolExecutor(200) as pool: list(pool.map(run, work))
wall = time.time() - started
bot_span = max(bot_times) - started

print(f"{len(work)} requests in {wall:.1f}s")
for group, counts in results.items():
    print(f"  {group:<13} " + ", ".join(f"{s} {c or ''}:{n}".replace(" :", ":") for (s, c), n in sorted(counts.items())))

checks = []
def check(name, ok, detail): checks.append(ok); print(f"{'PASS' if ok else 'FAIL'} {name}: {detail}")
s = settled_stock(ADMIN, sale); t = settled_stock(ADMIN, token_sale)
check("blacklisted users made no order", not orders["blacklisted"] and results["blacklisted"][(403, "blacklisted")] == 1000,
      f"{len(orders['blacklisted'])} orders, {results['blacklisted'][(403, 'blacklisted')]}/1000 refused 403 blacklisted")
check("token-less buyers made no order", not orders["token-less"] and results["token-less"][(403, "bad_token")] == 1000,
      f"{len(orders['token-less'])} orders, {results['token-less'][(403, 'bad_token')]}/1000 refused 403 bad_token")
admitted = sum(n for (st, _), n in results["bot storm"].items() if st != 429)
permits = 10 + 5 * (int(bot_span) + 2)
check("bot storm admitted no more than its permits", admitted <= permits,
      f"{admitted} of 3000 admitted over {bot_span:.1f}s (burst 10 + 5/s allows {permits}); {len(orders['bot storm'])} orders")
check("scripts refused", results["scripts"][(403, "bot_suspected")] == 200, f"{results['scripts'][(403, 'bot_suspected')]}/200 refused 403 bot_suspected")
check("unknown ids answered 404", results["unknown ids"][(404, "sale_not_found")] == 3000, f"{results['unknown ids'][(404, 'sale_not_found')]}/3000")
metrics = req("GET", "/api/admin/metrics", tok=ADMIN)[1]
reads = metrics["saleLookups"]["storageReads"] - metrics_before["saleLookups"]["storageReads"]
filtered = metrics["saleLookups"]["rejectedByFilter"] - metrics_before["saleLookups"]["rejectedByFilter"]
check("unknown ids barely touched storage", reads <= 30, f"{filtered} refused by the Bloom filter, {reads} storage reads (false positives, each read once)")
for name, sid, stock_report, stock in (("sale", sale, s, SALE_STOCK), ("token sale", token_sale, t, TOKEN_STOCK)):
    check(f"{name}: sold out exactly, conserved", stock_report["sold"] == stock and conserved(stock_report), json.dumps(stock_report))
acknowledged = [(u, oid) for g in ("buyers", "token buyers", "bot storm") for (u, oid) in orders[g]]
found = sum(1 for u, oid in acknowledged if (lambda r: r[0] == 200 and int(r[1]["userId"]) == u)(req("GET", f"/api/orders/{oid}", tok=ADMIN)))
check("every acknowledged order exists", found == len(acknowledged) == SALE_STOCK + TOKEN_STOCK, f"{found}/{len(acknowledged)}")
print("metrics (purchase outcomes since start):", json.dumps(metrics["purchases"]))
print("RESULT", "PASS" if all(checks) else "FAIL")
sys.exit(0 if all(checks) else 1)
