package collectors

import (
	"net/url"
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"plain":              {"https://example.com/feed.xml", "https://example.com/feed.xml"},
		"query token":        {"https://example.com/feed?token=abc123&x=1", "https://example.com/feed?REDACTED"},
		"userinfo":           {"https://bob:hunter2@example.com/feed", "https://REDACTED@example.com/feed"},
		"user only":          {"https://apikey@example.com/", "https://REDACTED@example.com/"},
		"fragment dropped":   {"https://example.com/a#secret", "https://example.com/a"},
		"empty query mark":   {"https://example.com/a?", "https://example.com/a?REDACTED"},
		"relative":           {"/feed?key=zzz", "/feed?REDACTED"},
		"port kept":          {"http://127.0.0.1:8080/x?k=v", "http://127.0.0.1:8080/x?REDACTED"},
		"unparseable":        {"http://[::1%zz/?token=abc", "<unparseable URL>"},
		"everything at once": {"https://u:p@h.example/p?q=1#f", "https://REDACTED@h.example/p?REDACTED"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := redactURL(tc.in); got != tc.want {
				t.Fatalf("redactURL(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestRedactText(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"no url":         {"connection refused", "connection refused"},
		"url in message": {`Get "https://a:b@example.com/x?token=T0K3N": dial tcp`, `Get "https://REDACTED@example.com/x?REDACTED": dial tcp`},
		"trailing dot":   {"see https://example.com/x?k=SECRETV.", "see https://example.com/x?REDACTED."},
		"two urls":       {"http://a/?k=1 and http://b/?k=2", "http://a/?REDACTED and http://b/?REDACTED"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := redactText(tc.in); got != tc.want {
				t.Fatalf("redactText(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestScrubSecrets(t *testing.T) {
	u, _ := url.Parse("https://bob:hunter2pass@example.com/feed?token=abc+def%2F1&lang=en")
	body := "invalid token abc def/1 (abc+def%2F1) for user bob, password hunter2pass, lang en"
	got := scrubSecrets(body, u)
	for _, secret := range []string{"abc def/1", "abc+def%2F1", "hunter2pass"} {
		if strings.Contains(got, secret) {
			t.Fatalf("scrubSecrets left %q in %q", secret, got)
		}
	}
	// Short values are not worth mangling the message for.
	if !strings.Contains(got, "lang en") {
		t.Fatalf("short value scrubbed: %q", got)
	}
}
