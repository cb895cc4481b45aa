"""Writes python_ticker.json the way the Python trading bot's cache writer does.

Run from this directory: python3 make_python_ticker.py
The bot's JSON encoder turns Decimal into a JSON number (through float, so only values a float
represents exactly in its shortest repr survive — all of those below do), datetime into an ISO-8601
string with its UTC offset, and bytes into a UTF-8 string. There is no envelope: plain json.dumps.
"""
import json
from datetime import datetime, timezone
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


ticker = {
    "symbol": "QRL/USDT",
    "last": Decimal("0.1234"),
    "bid": Decimal("0.1233"),
    "ask": Decimal("0.1235"),
    "volume": Decimal("1234567.89"),
    "change_pct": Decimal("-2.5"),
    "timestamp": datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=timezone.utc),
    "raw": b"mexc:QRLUSDT",
    "candles": [
        {
            "open_time": datetime(2024, 5, 1, 11, 59, tzinfo=timezone.utc),
            "open": Decimal("0.1230"),
            "high": Decimal("0.1240"),
            "low": Decimal("0.1229"),
            "close": Decimal("0.1234"),
            "volume": Decimal("5000"),
        }
    ],
}

with open("python_ticker.json", "w") as f:
    json.dump(ticker, f, cls=BotEncoder)
