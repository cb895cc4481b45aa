package main

import (
	"net/url"
	"strings"

	"github.com/cachekit/cachekit/store"
)

// describeTarget names where a store URL points, for prompts and reports, without credentials or
// options: "redis://127.0.0.1:6379 db 0", "redis+cluster://10.0.0.1:7000 (cluster)",
// "tiered: L1 in-process memory, L2 redis://h:6379 db 2", "in-process memory (memory://)".
// The database is the one the URL selects (path or ?db=), 0 when it names none.
func describeTarget(rawURL string) string {
	if rawURL == "" {
		return "in-process memory (memory://)"
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return store.Redact(rawURL)
	}
	q := u.Query()
	db := func(path string) string {
		if d := q.Get("db"); d != "" {
			return d
		}
		if path = strings.Trim(path, "/"); path != "" {
			return path
		}
		return "0"
	}
	switch u.Scheme {
	case "memory":
		return "in-process memory (memory://)"
	case "redis", "rediss":
		return u.Scheme + "://" + u.Host + " db " + db(u.Path)
	case "unix":
		return "unix://" + u.Path + " db " + db("")
	case "redis+sentinel", "rediss+sentinel":
		master, rest, _ := strings.Cut(strings.Trim(u.Path, "/"), "/")
		return u.Scheme + "://" + u.Host + " master " + master + " db " + db(rest)
	case "redis+cluster", "rediss+cluster":
		return u.Scheme + "://" + u.Host + " (cluster)"
	case "tiered":
		l1, l2 := q.Get("l1"), q.Get("l2")
		if l1 == "" {
			l1 = "memory://"
		}
		return "tiered: L1 " + describeTarget(l1) + ", L2 " + describeTarget(l2)
	}
	return u.Scheme + "://" + u.Host
}
