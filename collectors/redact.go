package collectors

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// Source URLs can carry secrets: a token in the query string
// (?access_token=...), credentials in the userinfo (https://user:pass@host),
// a private feed key. Errors end up in logs, in the stored source state and
// on the dashboard, so every URL that reaches an error message goes through
// redactURL first, and free text is scrubbed with redactText as a second line
// of defence.

const redacted = "REDACTED"

// redactURL returns raw with its userinfo and query string replaced and its
// fragment dropped, keeping scheme, host and path so the message still says
// which endpoint failed. A string that does not parse as a URL is replaced
// entirely: it might be anything.
func redactURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" && u.Opaque != "" {
		return "<unparseable URL>"
	}
	return redactParsedURL(u)
}

func redactParsedURL(u *url.URL) string {
	c := *u
	if c.User != nil {
		c.User = url.User(redacted)
	}
	if c.RawQuery != "" || c.ForceQuery {
		c.RawQuery = redacted
		c.ForceQuery = false
	}
	c.Fragment, c.RawFragment = "", ""
	return c.String()
}

// urlPattern finds absolute URLs inside free text (error messages from
// lower layers, panic values).
var urlPattern = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.\-]*://[^\s"'<>` + "`" + `]+`)

// redactText redacts every URL found in s.
func redactText(s string) string {
	return urlPattern.ReplaceAllStringFunc(s, func(m string) string {
		// A URL at the end of a sentence often drags punctuation along.
		trail := ""
		for len(m) > 0 && strings.ContainsRune(".,;:)]}", rune(m[len(m)-1])) {
			trail = m[len(m)-1:] + trail
			m = m[:len(m)-1]
		}
		return redactURL(m) + trail
	})
}

// secretsOf lists the values in u that must never be echoed: the userinfo
// and every query value. Short values are left out, because replacing "1"
// or "en" everywhere would mangle messages without protecting anything.
func secretsOf(u *url.URL) []string {
	var out []string
	add := func(s string) {
		if len(s) >= 4 {
			out = append(out, s)
		}
	}
	if u.User != nil {
		add(u.User.Username())
		if p, ok := u.User.Password(); ok {
			add(p)
			// As sent in the Authorization header, which a server may echo.
			add(base64.StdEncoding.EncodeToString([]byte(u.User.Username() + ":" + p)))
		}
	}
	for _, vs := range u.Query() {
		for _, v := range vs {
			add(v)
			add(url.QueryEscape(v))
		}
	}
	if u.RawQuery != "" {
		add(u.RawQuery)
	}
	// Longest first, so a value that contains another is replaced whole.
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// headerSecrets lists the credentials a request carries in its headers: the
// whole Authorization value, the token or password after its scheme, and
// API keys sent in headers of their own.
func headerSecrets(h http.Header) []string {
	var out []string
	for _, v := range h.Values("Authorization") {
		out = append(out, v)
		if _, cred, ok := strings.Cut(v, " "); ok && len(cred) >= 4 {
			out = append(out, cred)
		}
	}
	// Platforms that take keys in headers of their own (Discourse's
	// Api-Key, API gateways' X-Api-Key).
	for _, name := range []string{"Api-Key", "X-Api-Key", "X-Auth-Token", "Private-Token"} {
		for _, v := range h.Values(name) {
			if len(v) >= 4 {
				out = append(out, v)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// scrubSecrets removes the secrets of u, and any extra ones, from s. A server's error page may
// echo the request URL back ("invalid token abc123"), and that body goes into
// a StatusError.
func scrubSecrets(s string, u *url.URL, extra ...string) string {
	for _, sec := range append(secretsOf(u), extra...) {
		s = strings.ReplaceAll(s, sec, redacted)
	}
	return s
}
