package store

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// ParseURL parses a store URL as url.Parse does. When it fails, the error wraps ErrInvalidURL and says
// what is wrong (url.Parse's own reason: a bad port, an invalid %-escape, a control character...) after
// the URL with its password redacted (see Redact); a fragment of the password that the reason would
// quote is redacted too. An opener that receives a raw URL uses it so that every backend reports a
// malformed URL alike.
func ParseURL(rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err == nil {
		return u, nil
	}
	reason := err
	var ue *url.Error
	if errors.As(err, &ue) {
		reason = ue.Err // url.Error's own text would repeat the whole URL, password included
	}
	msg := reason.Error()
	if pw := rawPassword(rawURL); pw != "" {
		msg = redactQuoted(msg, pw)
	}
	return nil, fmt.Errorf("%w: %s: %s", ErrInvalidURL, Redact(rawURL), msg)
}

// Redact returns rawURL with any password replaced by "xxxxx", for error messages and logs. Input that
// url.Parse rejects is redacted by hand: after "scheme://", everything from the first ':' of the user
// info up to the last '@' becomes "xxxxx" (so a password holding unescaped '/', '?' or '@' is hidden
// too); such input without "://" but with an '@' is returned as "<unparsable URL>". An opaque URL
// ("redis:user:pass@host", a missing "//") loses everything before its last '@'.
func Redact(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		if at := strings.LastIndex(u.Opaque, "@"); at >= 0 {
			// "redis:user:pass@host" (no "//") parses as opaque text, which Redacted leaves alone.
			return u.Scheme + ":xxxxx" + u.Opaque[at:]
		}
		if _, has := u.User.Password(); !has {
			return rawURL // nothing to hide; Redacted would also rewrite "memory://" as "memory:"
		}
		return u.Redacted()
	}
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		if strings.Contains(rawURL, "@") {
			return "<unparsable URL>"
		}
		return rawURL
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return rawURL
	}
	user, _, hasPassword := strings.Cut(rest[:at], ":")
	if !hasPassword {
		return rawURL
	}
	return scheme + "://" + user + ":xxxxx" + rest[at:]
}

// rawPassword returns what Redact would hide in an unparsable URL: the text between the first ':' of the
// user info and the last '@', or "".
func rawPassword(rawURL string) string {
	_, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return ""
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return ""
	}
	_, pw, _ := strings.Cut(rest[:at], ":")
	return pw
}

// quoted matches the Go-quoted fragments url.Parse puts in its reasons (`invalid port ":abc" after host`).
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// redactQuoted replaces every quoted fragment of msg that shows part of password by "xxxxx".
func redactQuoted(msg, password string) string {
	msg = strings.ReplaceAll(msg, password, "xxxxx")
	return quoted.ReplaceAllStringFunc(msg, func(q string) string {
		s, err := strconv.Unquote(q)
		if err != nil {
			return `"xxxxx"`
		}
		if s = strings.TrimPrefix(s, ":"); s != "" && strings.Contains(password, s) {
			return `"xxxxx"`
		}
		return q
	})
}

// CheckOptionsURL checks the shape of the URL of a store that takes nothing but query options
// ("memory://?max_bytes=64MiB", "tiered://?l1=...&l2=..."): its scheme must be scheme, and it must have
// no host, user, path (other than "/") or opaque part. The error wraps ErrInvalidURL and shows example,
// the expected form.
func CheckOptionsURL(u *url.URL, scheme, example string) error {
	if u.Scheme != scheme {
		return fmt.Errorf("%w: scheme %q is not %q", ErrInvalidURL, u.Scheme, scheme)
	}
	if u.Host != "" || (u.Path != "" && u.Path != "/") || u.User != nil || u.Opaque != "" {
		return fmt.Errorf("%w: a %s URL takes no host, user or path, only options (%s)", ErrInvalidURL, scheme, example)
	}
	return nil
}
