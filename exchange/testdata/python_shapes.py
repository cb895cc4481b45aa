"""CCXT-shaped market data, written and read the way the Python trading bot does.

Used by exchange/python_test.go; by hand, from this directory:

    python3 python_shapes.py write          # prints {"case": "<json.dumps of the value>", ...}
    python3 python_shapes.py check < x.json # x.json: {"case": "<Go's plain JSON of the value>", ...}

write: each value is encoded exactly as the bot's cache writer encodes it: json.dumps with BotEncoder,
which turns Decimal into a float (so only decimals whose float has the same shortest repr survive;
all of those below do), datetime into isoformat() (aware or naive, as the value holds it) and bytes into
UTF-8 text. The value for Redis is that string; the output maps each case to it.

check: reads what Go wrote for the same cases (after decoding the values "write" produced), parses each
value with json.loads(..., parse_float=Decimal) as a Python reader that wants exact prices does, and
asserts every field against the samples below. Exit status 0 and "ok <n>" on stdout when all match.
"""
import json
import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal


class BotEncoder(json.JSONEncoder):
    def default(self, o):
        if isinstance(o, Decimal):
            return float(o)
        if isinstance(o, datetime):
            return o.isoformat()
        if isinstance(o, bytes):
            return o.decode("utf-8")
        return super().default(o)


UTC = timezone.utc
D = Decimal
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def millis(dt):
    """Epoch milliseconds of an aware datetime, rounded down, in integers (no float on the way)."""
    return (dt - EPOCH) // timedelta(milliseconds=1)


# 2024-01-02T03:04:05.123456Z and friends.
T_US = datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)  # microseconds
T_MS = datetime(2024, 1, 2, 3, 4, 5, 123000, tzinfo=UTC)  # what a CCXT timestamp holds
MS = 1704164645123  # T_MS in epoch milliseconds (checked below)
T_NAIVE = datetime(2024, 5, 1, 12, 30, 0, 250000)  # naive: UTC by convention
T_NAIVE_UTC = T_NAIVE.replace(tzinfo=UTC)
T_PLUS2 = datetime(2024, 5, 1, 14, 0, 0, 500000, tzinfo=timezone(timedelta(hours=2)))  # 12:00:00.5Z
T_WHOLE = datetime(2024, 5, 1, 0, 0, 0, tzinfo=UTC)


def ticker(**over):
    t = {
        "symbol": "QRL/USDT",
        "timestamp": MS,
        "datetime": "2024-01-02T03:04:05.123Z",  # CCXT's own iso8601()
        "high": D("0.3125"),
        "low": D("0.2801"),
        "bid": D("0.01234567"),
        "bidVolume": None,  # CCXT fields Go does not keep: ignored
        "ask": D("0.2998"),
        "askVolume": None,
        "vwap": D("0.29"),
        "open": D("0.2878"),
        "close": D("0.3001"),
        "last": D("0.3001"),
        "previousClose": D("0.2878"),
        "change": D("0.0123"),
        "percentage": D("4.273801"),
        "average": None,
        "baseVolume": D("1732461.48"),
        "quoteVolume": 518832,  # an int, as Python may hold it
        "info": {"symbol": "QRLUSDT", "lastPrice": "0.3001", "raw": b"mexc:QRLUSDT", "n": [1, 2.5, None]},
    }
    t.update(over)
    return t


# Each case: the value the bot stores, and the instant(s) Go must read from it (the ticker's and order
# book's time, each candle's and trade's).
CASES = {
    # CCXT: timestamp and datetime both, the same millisecond.
    "ticker_ccxt": (ticker(), T_MS),
    # An aware datetime object: isoformat() with +00:00 and microseconds, beside the timestamp of its
    # millisecond: Go keeps the microseconds.
    "ticker_aware": (ticker(datetime=T_US), T_US),
    # A naive datetime object and no timestamp: UTC.
    "ticker_naive": (ticker(timestamp=None, datetime=T_NAIVE), T_NAIVE_UTC),
    # str(datetime): a space instead of the T, aware and naive; timestamp absent.
    "ticker_str_aware": ({k: v for k, v in ticker(datetime=str(T_US)).items() if k != "timestamp"}, T_US),
    "ticker_str_naive": (ticker(timestamp=None, datetime=str(T_NAIVE)), T_NAIVE_UTC),
    # Another offset: the same instant, read as UTC.
    "ticker_offset": (ticker(timestamp=None, datetime=T_PLUS2), T_PLUS2.astimezone(UTC)),
    # Epoch milliseconds only.
    "ticker_ms_only": ({k: v for k, v in ticker().items() if k != "datetime"}, T_MS),
    # timestamp and datetime disagree: timestamp (CCXT's primary) wins.
    "ticker_conflict": (ticker(datetime=T_NAIVE), T_MS),
    # CCXT's None for what the exchange does not give: zero, and no info.
    "ticker_nulls": (ticker(bid=None, ask=None, change=None, percentage=None, info=None, timestamp=None,
                            datetime=None), None),
    "ohlcv": ([
        [1714348800000, D("0.2811"), D("0.295"), D("0.279"), D("0.2903"), D("1532201.37")],
        [1714435200000, D("0.2903"), D("0.3125"), D("0.287"), D("0.3001"), 2019920],
        [T_WHOLE, D("0.3001"), D("0.305"), D("0.2955"), D("0.01234567"), D("87211.03")],  # a datetime object
        [T_NAIVE, D("1E-8"), D("0.00000002"), D("0.00000001"), D("0.00000002"), D("0")],
    ], [datetime(2024, 4, 29, tzinfo=UTC), datetime(2024, 4, 30, tzinfo=UTC), T_WHOLE, T_NAIVE_UTC]),
    "trades": ([
        {"id": "1714521599123-1", "timestamp": MS, "datetime": "2024-01-02T03:04:05.123Z", "symbol": "QRL/USDT",
         "order": None, "type": None, "side": "sell", "takerOrMaker": "taker", "price": D("0.3001"),
         "amount": D("1523.81"), "cost": D("457.295381"), "fee": None, "fees": [], "info": {"isBuyerMaker": True}},
        {"id": None, "timestamp": None, "datetime": T_NAIVE, "symbol": "QRL/USDT", "side": "buy",
         "price": D("0.3002"), "amount": 20, "cost": D("6.004")},
        {"id": 987654321, "timestamp": MS, "datetime": T_US, "symbol": "QRL/USDT", "side": "buy",
         "price": D("0.01234567"), "amount": D("0.5"), "cost": D("0.006172835")},
    ], [T_MS, T_NAIVE_UTC, T_US]),
    "orderbook": ({
        "symbol": "QRL/USDT",
        "bids": [[D("0.2998"), D("1500.5")], [D("0.2997"), 49999]],
        "asks": [[D("0.3004"), D("1")], [D("0.3005"), D("812.33")]],
        "timestamp": MS,
        "datetime": str(T_US),
        "nonce": 1112416,
    }, T_US),
    "orderbook_nulls": ({
        "symbol": "QRL/USDT",
        "bids": [],
        "asks": [[D("0.01234567"), D("0.1")]],
        "timestamp": None,
        "datetime": T_NAIVE,
        "nonce": None,
    }, T_NAIVE_UTC),
}

# A value only Go writes: more digits than a float holds, for a reader with parse_float=Decimal.
GO_EXACT = {
    "last": D("0.30012345678901234567"),
    "baseVolume": D("123456789012345678901234567890.000000001"),
    "percentage": D("-2.5"),
    "at": datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC),
}


assert millis(T_MS) == MS


def write():
    out = {name: json.dumps(value, cls=BotEncoder) for name, (value, _) in CASES.items()}
    json.dump(out, sys.stdout)


class Mismatch(Exception):
    pass


def expect(cond, what, got, want):
    if not cond:
        raise Mismatch(f"{what}: got {got!r}, want {want!r}")


def dec_eq(what, got, want):
    """got as json.loads(parse_float=Decimal) returns it: a Decimal, an int, or None for null."""
    if want is None:
        want = D(0)  # Go keeps no null decimal: absent is zero
    expect(isinstance(got, (Decimal, int)) and not isinstance(got, bool), what + " type", type(got), "Decimal")
    expect(D(got) == D(str(want)), what, got, want)


def time_eq(what, obj, want):
    ts, dt = obj.get("timestamp"), obj.get("datetime")
    if want is None:
        expect(ts is None and dt is None, what, (ts, dt), None)
        return
    expect(isinstance(ts, int) and ts == millis(want), what + ".timestamp", ts, want)
    parsed = datetime.fromisoformat(dt)
    expect(parsed.utcoffset() == timedelta(0), what + ".datetime offset", dt, "+00:00")
    expect(parsed == want, what + ".datetime", dt, want.isoformat())


def utf8(v):
    return json.loads(json.dumps(v, cls=BotEncoder))  # what a sample becomes once written


def check_ticker(name, got, value, at):
    expect(got["symbol"] == value["symbol"], name + ".symbol", got["symbol"], value["symbol"])
    time_eq(name, got, at)
    for k in ("high", "low", "bid", "ask", "last", "open", "close", "baseVolume", "quoteVolume", "change",
              "percentage"):
        dec_eq(f"{name}.{k}", got[k], value[k])
    want_info = utf8(value["info"])
    got_info = json.loads(json.dumps(got["info"], cls=BotEncoder), parse_float=float)
    expect(got_info == want_info, name + ".info", got["info"], want_info)


def check_ohlcv(name, got, value, ats):
    expect(isinstance(got, list) and len(got) == len(value), name + " rows", got, value)
    for i, (row, want, at) in enumerate(zip(got, value, ats)):
        expect(len(row) == 6, f"{name}[{i}] length", row, 6)
        expect(isinstance(row[0], int) and row[0] == millis(at), f"{name}[{i}][0]", row[0], at)
        for j in range(1, 6):
            dec_eq(f"{name}[{i}][{j}]", row[j], want[j])


def check_trades(name, got, value, ats):
    expect(isinstance(got, list) and len(got) == len(value), name + " trades", got, value)
    for i, (tr, want, at) in enumerate(zip(got, value, ats)):
        what = f"{name}[{i}]"
        want_id = None if want["id"] is None else str(want["id"])
        expect(tr["id"] == want_id, what + ".id", tr["id"], want_id)
        for k in ("symbol", "side"):
            expect(tr[k] == want[k], f"{what}.{k}", tr[k], want[k])
        time_eq(what, tr, at)
        for k in ("price", "amount", "cost"):
            dec_eq(f"{what}.{k}", tr[k], want[k])


def check_orderbook(name, got, value, at):
    expect(got["symbol"] == value["symbol"], name + ".symbol", got["symbol"], value["symbol"])
    time_eq(name, got, at)
    expect(got["nonce"] == value["nonce"], name + ".nonce", got["nonce"], value["nonce"])
    for side in ("bids", "asks"):
        expect(len(got[side]) == len(value[side]), f"{name}.{side}", got[side], value[side])
        for i, (lv, want) in enumerate(zip(got[side], value[side])):
            expect(len(lv) == 2, f"{name}.{side}[{i}]", lv, want)
            dec_eq(f"{name}.{side}[{i}].price", lv[0], want[0])
            dec_eq(f"{name}.{side}[{i}].amount", lv[1], want[1])


def check_go_exact(got):
    for k in ("last", "baseVolume", "percentage"):
        expect(isinstance(got[k], Decimal) and got[k] == GO_EXACT[k], "go_exact." + k, got[k], GO_EXACT[k])
    time_eq("go_exact", got, GO_EXACT["at"])


def check():
    values = json.load(sys.stdin)  # {"case": "<value text>"}
    want_names = set(CASES) | {"go_exact"}
    expect(set(values) == want_names, "cases", sorted(values), sorted(want_names))
    for name, text in values.items():
        got = json.loads(text, parse_float=Decimal)
        try:
            if name == "go_exact":
                check_go_exact(got)
                continue
            value, at = CASES[name]
            kind = name.split("_")[0]
            {"ticker": check_ticker, "ohlcv": check_ohlcv, "trades": check_trades,
             "orderbook": check_orderbook}[kind](name, got, value, at)
        except (Mismatch, KeyError, TypeError, ValueError) as e:
            print(f"{name}: {type(e).__name__}: {e}\n  value: {text}", file=sys.stderr)
            sys.exit(1)
    print("ok", len(values))


if __name__ == "__main__":
    {"write": write, "check": check}[sys.argv[1]]()
