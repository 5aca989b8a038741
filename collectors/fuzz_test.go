package collectors

// Native fuzz tests for every parser of outside input in this package: feed
// bodies, each platform's JSON, the streaming frames, the inbound webhook,
// the rate-limit headers and the URLs and bodies that reach error messages.
//
// Every platform target serves the fuzzed bodies through an in-memory
// RoundTripper (no network, no sockets) and runs the collector's real Poll
// and Refresh, so what is exercised is exactly what a hostile server can
// reach. Besides "no panic", every mention that comes out must be something
// the store and the dashboard can take as it is (see fzCheckMention).
//
// Run one target with, for example:
//
//	go test ./collectors -run '^$' -fuzz '^FuzzRSSFeed$' -fuzztime 15s
//
// Seed corpora live in testdata/fuzz/<FuzzName>/, built from the fixtures
// under testdata/. .ci/fuzz runs every target for a short time.

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/time/rate"

	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/store/secret"
)

// fzNow is the fuzzed collectors' clock: the fixtures are dated around it.
var fzNow = time.Date(2024, 6, 4, 12, 0, 0, 0, time.UTC)

// fzBrand is watched by every fuzzed collector. Tokopedia is there for its
// needle: a word with letters (k, i) that have non-ASCII capitals folding
// to ASCII, the hard case of the Jetstream prefilter.
var fzBrand = Brand{
	Name:    "kilat",
	Terms:   []string{"Kilat Express", "kilatexpress", "#kilatexpress", "Acme", "acme bank", "#acme", "Tokopedia"},
	Exclude: []string{"giveaway", "cartoon"},
	Accounts: map[string][]string{
		KindRSS:        {"AcmeCare"},
		KindMastodon:   {"kilatcare", "acme_support"},
		KindBluesky:    {"did:plc:kilatcare0demo0brand00000", "kilatcare.bsky.social"},
		KindReddit:     {"KilatExpressCare"},
		KindHackerNews: {"kilat_eng"},
		KindDiscourse:  {"kilat_support"},
		KindGitHub:     {"kilatexpress"},
		KindAppStore:   {"Kilat Express Care"},
		KindGooglePlay: {"Kilat Express"},
		KindYouTube:    {"UCkilatexpress0000000000"},
		"x":            {"kilatcare"},
	},
}

// Secrets configured on the fuzzed collectors: no error may ever show them.
const (
	fzMastoToken   = "masto-fuzz-token-4e5f6a7b"
	fzBskyPassword = "bsky-fuzz-app-pass-1234"
	fzRedditSecret = "reddit-fuzz-client-secret-99"
	fzGitHubToken  = "ghp_fuzzTokenAbCdEf0123456789"
	fzDiscourseKey = "discourse-fuzz-api-key-5566"
	fzYouTubeKey   = "AIzaFuzzKey00000000000000000000000"
	fzHookSecret   = "webhook-fuzz-secret-0123456789abcdef"
)

var fzSecrets = []string{fzMastoToken, fzBskyPassword, fzRedditSecret, fzGitHubToken, fzDiscourseKey, fzYouTubeKey, fzHookSecret}

// ---------------------------------------------------------------------
// The in-memory HTTP layer.
// ---------------------------------------------------------------------

type fzResponse struct {
	status int
	header http.Header
	body   []byte
}

// fzTransport answers every request with what its function says, without
// a network.
type fzTransport func(r *http.Request) fzResponse

func (t fzTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	res := t(r)
	if res.status == 0 {
		res.status = http.StatusOK
	}
	h := res.header
	if h == nil {
		h = http.Header{}
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	return &http.Response{
		StatusCode: res.status, Status: fmt.Sprintf("%d %s", res.status, http.StatusText(res.status)),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(bytes.NewReader(res.body)), ContentLength: int64(len(res.body)), Request: r,
	}, nil
}

// fzFetcher is a Fetcher on route, with the fuzz clock and no rate limit.
func fzFetcher(route fzTransport) *Fetcher {
	return NewFetcher(FetcherOptions{
		Client:    &http.Client{Transport: route},
		Rate:      rate.Inf,
		Now:       func() time.Time { return fzNow },
		UserAgent: "PantauFuzz/1.0 (+test)",
	})
}

// fzNoLimits drops the per-host limits collectors set on their Fetcher at
// construction (Reddit's 10 a minute...): the fake answers instantly, and a
// fuzz iteration must not wait.
func fzNoLimits(f *Fetcher) {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.hostRate)
	clear(f.limiters)
}

func fzCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// ---------------------------------------------------------------------
// Invariants.
// ---------------------------------------------------------------------

// fzLine checks a stored text field: valid UTF-8, within its cap, and free
// of control, bidi-override and line-breaking characters (cleanText's
// promise, which every field shown on the dashboard goes through).
func fzLine(t *testing.T, what, s string, max int) {
	t.Helper()
	if len(s) > max {
		t.Fatalf("%s is %d bytes, over its %d cap: %.80q", what, len(s), max, s)
	}
	if !utf8.ValidString(s) {
		t.Fatalf("%s is not valid UTF-8: %.80q", what, s)
	}
	for _, r := range s {
		if isHiddenRune(r) || (unicode.IsSpace(r) && r != ' ') {
			t.Fatalf("%s holds %U: %.80q", what, r, s)
		}
	}
}

// fzLink checks a URL stored for people to click: empty, or an absolute
// http(s) URL of bounded size that parses.
func fzLink(t *testing.T, what, s string) {
	t.Helper()
	if s == "" {
		return
	}
	// Some collectors cap the path and prepend their site: allow that.
	if len(s) > maxURLBytes+64 {
		t.Fatalf("%s is %d bytes long", what, len(s))
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		t.Fatalf("%s %.120q is not an absolute http(s) URL (%v)", what, s, err)
	}
	if !utf8.ValidString(s) || strings.ContainsFunc(s, isHiddenRune) {
		t.Fatalf("%s %.120q holds control characters", what, s)
	}
}

var fzLangPattern = regexp.MustCompile(`^[a-z]{2,3}$`)

// fzKey checks a store key the way the store does (validKeys).
func fzKey(t *testing.T, what, k string) {
	t.Helper()
	if len(k) > 1024 || strings.IndexByte(k, 0) >= 0 {
		t.Fatalf("%s %.80q is not a store key (%d bytes, or a NUL)", what, k, len(k))
	}
}

func fzCount(t *testing.T, what string, p *int64) {
	t.Helper()
	if p != nil && *p < 0 {
		t.Fatalf("%s is negative: %d", what, *p)
	}
}

// fzCheckMention checks one mention a collector hands to the store.
func fzCheckMention(t *testing.T, m store.Mention, kind string) {
	t.Helper()
	fzCheckMentionAt(t, m, kind, fzNow)
}

// fzCheckMentionAt is fzCheckMention for a mention made at now (a
// streamed event's own time).
func fzCheckMentionAt(t *testing.T, m store.Mention, kind string, now time.Time) {
	t.Helper()
	if m.NativeID == "" {
		t.Fatalf("mention without a native id: %+v", m)
	}
	if m.Kind != kind || m.Source == "" || m.Brand == "" {
		t.Fatalf("mention %.80q: kind %q, source %q, brand %q", m.NativeID, m.Kind, m.Source, m.Brand)
	}
	fzKey(t, "key", store.MentionKey(m.Kind, m.NativeID))
	fzKey(t, "reply_to", m.ReplyTo)
	fzKey(t, "thread_root", m.ThreadRoot)
	if !utf8.ValidString(m.NativeID) {
		t.Fatalf("native id %.80q is not valid UTF-8", m.NativeID)
	}
	fzLine(t, "text", m.Text, maxTextBytes)
	fzLine(t, "title", m.Title, maxTitleBytes)
	fzLine(t, "author handle", m.Author.Handle, maxAuthorBytes)
	fzLine(t, "author name", m.Author.DisplayName, maxAuthorBytes)
	fzLink(t, "url", m.URL)
	fzLink(t, "profile url", m.Author.ProfileURL)
	fzCount(t, "followers", m.Author.Followers)
	if m.Rating != nil && (*m.Rating < 1 || *m.Rating > 5) {
		t.Fatalf("rating %d is not 1 to 5", *m.Rating)
	}
	if kind != KindWebhook && m.Lang != "" && !fzLangPattern.MatchString(m.Lang) {
		t.Fatalf("lang %q is not a primary language subtag", m.Lang)
	}
	if m.CreatedAt.After(now.Add(maxFutureSkew)) {
		t.Fatalf("mention %.80q: created_at %v (now %v)", m.NativeID, m.CreatedAt, now)
	}
	// The store encodes the mention as JSON; a time outside years
	// 0-9999 fails that and, with it, the whole batch's transaction.
	if _, err := json.Marshal(m); err != nil {
		t.Fatalf("mention %.80q cannot be stored: %v", m.NativeID, err)
	}
}

func fzCheckSample(t *testing.T, s store.MentionSample) {
	t.Helper()
	if s.Key == "" {
		t.Fatalf("sample without a key: %+v", s)
	}
	fzKey(t, "sample key", s.Key)
	for name, p := range map[string]*int64{"likes": s.Likes, "reposts": s.Reposts, "replies": s.Replies, "quotes": s.Quotes, "views": s.Views, "followers": s.Followers} {
		fzCount(t, "sample "+name, p)
	}
}

// fzCheckErr checks an error a collector returns: readable, bounded and
// free of the configured secrets.
func fzCheckErr(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	if msg == "" {
		t.Fatal("empty error message")
	}
	if len(msg) > 64<<10 {
		t.Fatalf("error message is %d bytes long", len(msg))
	}
	if !utf8.ValidString(msg) {
		t.Fatalf("error message is not valid UTF-8: %.200q", msg)
	}
	for _, s := range fzSecrets {
		if strings.Contains(msg, s) {
			t.Fatalf("error message shows a secret: %.300q", msg)
		}
	}
}

// fzCheckBatch checks what Poll or Refresh returned. A batch comes with an
// error too (partial polls, refreshes that stopped half way): it is
// checked either way.
func fzCheckBatch(t *testing.T, b store.Batch, err error, kind string) {
	t.Helper()
	fzCheckErr(t, err)
	for _, m := range b.Mentions {
		fzCheckMention(t, m, kind)
	}
	for _, s := range b.Samples {
		fzCheckSample(t, s)
	}
	if b.Cursor != nil && *b.Cursor != "" && !json.Valid([]byte(*b.Cursor)) {
		t.Fatalf("cursor is not JSON: %.200q", *b.Cursor)
	}
	if !utf8.ValidString(b.Coverage) {
		t.Fatalf("coverage is not valid UTF-8")
	}
}

// fzRoute picks a body by the first path fragment (in order) that the
// request's path contains; unknown paths get 404.
func fzRoute(routes ...any) fzTransport {
	return func(r *http.Request) fzResponse {
		for i := 0; i+1 < len(routes); i += 2 {
			if strings.Contains(r.URL.Path, routes[i].(string)) {
				switch v := routes[i+1].(type) {
				case []byte:
					return fzResponse{body: v}
				case string:
					return fzResponse{body: []byte(v)}
				case fzResponse:
					return v
				}
			}
		}
		return fzResponse{status: http.StatusNotFound, body: []byte(`{"error":"not found"}`)}
	}
}

// ---------------------------------------------------------------------
// Text: htmlToText, cleanText, truncateUTF8, keyword matching.
// ---------------------------------------------------------------------

// fzTagStart is the index in s of a '<' that opens markup, or -1.
func fzTagStart(s string) int {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '<' && startsTag(s[i+1:]) {
			return i
		}
	}
	return -1
}

func fzCheckClean(t *testing.T, in, out string) {
	t.Helper()
	fzLine(t, "output", out, 3*len(in)+3)
	if strings.HasPrefix(out, " ") || strings.HasSuffix(out, " ") || strings.Contains(out, "  ") {
		t.Fatalf("whitespace not collapsed: %q", out)
	}
	if again := cleanText(out); again != out {
		t.Fatalf("cleanText is not idempotent: %q -> %q", out, again)
	}
}

// FuzzHTMLToText: any string becomes one line of plain text; without
// entities in the input (an escaped "&lt;b&gt;" is the author's literal
// text and stays), no markup is left in it.
func FuzzHTMLToText(f *testing.F) {
	for _, s := range []string{"<p>Kilat <b>Express</b>,</p><p>telat</p>", "a < b", "<3", "<script>alert(1)</script>x", "<!-- x", "<a href='>'>y</a>",
		"&lt;script&gt;", "<STYLE>p{}</style >z", "<svg><script>1</script></svg>w", "<p", "x\u202Ey", "\xff<b>\xfe</b>", "<br/>a<br/>b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := htmlToText(s)
		fzCheckClean(t, s, out)
		if !strings.Contains(s, "&") {
			if i := fzTagStart(out); i >= 0 {
				t.Fatalf("markup survives: htmlToText(%q) = %q", s, out)
			}
		}
		if !strings.ContainsAny(s, "<&") && out != cleanText(s) {
			t.Fatalf("text without markup changed: htmlToText(%q) = %q, cleanText = %q", s, out, cleanText(s))
		}
	})
}

// FuzzCleanText: cleanText's promise (valid UTF-8, no control or bidi
// characters, whitespace collapsed, idempotent) and truncateUTF8's (at most
// n bytes, never a split rune).
func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"a\tb\n\nc", "\u202Egnp.exe", "\xff\xfe", "\u200F\u200E x", " lead  trail ", "é\u0301", strings.Repeat("ab ", 100)} {
		f.Add(s, 10)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		out := cleanText(s)
		fzCheckClean(t, s, out)
		if utf8.ValidString(s) && len(out) > len(s) {
			t.Fatalf("cleanText grew valid text: %q -> %q", s, out)
		}
		n = max(n%(len(out)+8), 3)
		cut := truncateUTF8(out, n)
		if len(cut) > n || !utf8.ValidString(cut) {
			t.Fatalf("truncateUTF8(%q, %d) = %q", out, n, cut)
		}
		if len(out) <= n && cut != out {
			t.Fatalf("truncateUTF8 cut text that fits: %q -> %q", out, cut)
		}
	})
}

// FuzzKeywordMatch: a keyword matches its own text, and only text that
// contains it.
func FuzzKeywordMatch(f *testing.F) {
	for _, p := range [][2]string{{"Kilat Express", "paket KILAT  express telat"}, {"#acme", "kecewa #acme"}, {"BCA", "BCAku error"}, {"楽天", "楽天のアプリ"},
		{"acme", "acmee"}, {"@acme_id", "cc @acme_id"}, {"*", "x"}, {"é", "e\u0301"}, {"Tokopedia", "TOKOPEDİA"}} {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, kw, text string) {
		m := newKeywordMatcher([]string{kw})
		got := m.match(text)
		norm := normalizeForMatch(kw)
		switch {
		case norm == "":
			if got != "" {
				t.Fatalf("empty keyword %q matched %q", kw, text)
			}
			return
		case norm == matchAll:
			if got != matchAll {
				t.Fatalf("keyword * did not match %q", text)
			}
			return
		}
		if got != "" && (got != norm || !strings.Contains(normalizeForMatch(text), norm)) {
			t.Fatalf("keyword %q matched %q as %q", kw, text, got)
		}
		if self := m.match(kw); self != norm {
			t.Fatalf("keyword %q does not match itself (got %q)", kw, self)
		}
	})
}

// ---------------------------------------------------------------------
// Fetch layer: Retry-After and friends, URL redaction, error bodies.
// ---------------------------------------------------------------------

// FuzzRetryAfter: every rate-limit header reader gives a wait between zero
// and a day, whatever the server sends.
func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"120", "0", "-5", "86401", "99999999999999999999", "Wed, 21 Oct 2015 07:28:00 GMT", "Tue, 04 Jun 2024 12:05:00 GMT",
		"Thu, 04 Jun 2099 12:05:00 GMT", "2024-06-04T12:10:00Z", "1717503000", "1.5", "NaN", "+Inf", "1e400", " 30 ", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		inRange := func(what string, d time.Duration) {
			t.Helper()
			if d < 0 || d > maxRetryAfter {
				t.Fatalf("%s(%q) = %v, outside [0, %v]", what, v, d, maxRetryAfter)
			}
		}
		d := parseRetryAfter(v, fzNow)
		inRange("parseRetryAfter", d)
		if secs, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && secs > 0 && secs <= int64(maxRetryAfter/time.Second) && d != time.Duration(secs)*time.Second {
			t.Fatalf("parseRetryAfter(%q) = %v, want %ds", v, d, secs)
		}
		inRange("headerSeconds", headerSeconds(v))
		inRange("githubReset", githubReset(http.Header{"X-Ratelimit-Reset": {v}}, fzNow))
		inRange("githubLimitWait", githubLimitWait(http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {v}}, v, http.StatusForbidden, fzNow))
		for name, fn := range map[string]func(error, time.Time) error{"mastoRateLimit": mastoRateLimit, "bskyRateLimit": bskyRateLimit} {
			se := &StatusError{Code: http.StatusTooManyRequests, Header: http.Header{"X-Ratelimit-Reset": {v}, "Ratelimit-Reset": {v}}}
			if err := fn(se, fzNow); err != se {
				t.Fatalf("%s replaced the error", name)
			}
			inRange(name, se.RetryAfter)
		}
		var h holdOff
		h.set("api", fzNow.Add(d))
		inRange("holdOff.wait", h.wait("api", fzNow))
	})
}

// FuzzRedactURL: what redactURL returns keeps no userinfo, query or
// fragment, and none of the input's secrets.
func FuzzRedactURL(f *testing.F) {
	for _, s := range []string{"https://user:pass@feeds.example.com/rss?token=s3cr3tvalue#frag", "https://x.example/p?", "mailto:a@b.c?subject=x",
		"//user:pw@host/x?k=v", "http://[::1]:80/a?access_token=abcdef123", "not a url", "https://h/%zz?x=1", " https://h/p?key=verysecret ",
		"https://h/a%3Fb?c=d", "HTTPS://H/?a=b&a=c", "https://u@h", "javascript:alert(1)", "https://h/p;x=y?q"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		out := redactURL(raw)
		if out == "<unparseable URL>" {
			return
		}
		u, err := url.Parse(out)
		if err != nil {
			t.Fatalf("redactURL(%q) = %q, which does not parse: %v", raw, out, err)
		}
		if u.User != nil && u.User.String() != redacted {
			t.Fatalf("redactURL(%q) = %q keeps the userinfo", raw, out)
		}
		if (u.RawQuery != "" && u.RawQuery != redacted) || u.Fragment != "" {
			t.Fatalf("redactURL(%q) = %q keeps the query or fragment", raw, out)
		}
		orig, err := url.Parse(strings.TrimSpace(raw))
		if err != nil {
			t.Fatalf("redactURL(%q) parsed what url.Parse refuses", raw)
		}
		visible := orig.Scheme + "://" + orig.Host + orig.Path + orig.EscapedPath() + orig.Opaque + redacted
		for _, sec := range secretsOf(orig) {
			if len(sec) >= 6 && !strings.Contains(visible, sec) && strings.Contains(out, sec) {
				t.Fatalf("redactURL(%q) = %q shows %q", raw, out, sec)
			}
		}
		// redactText redacts a URL in free text as redactURL does.
		if raw != "" && urlPattern.FindString(raw) == raw && !strings.ContainsAny(raw[len(raw)-1:], ".,;:)]}") {
			if got := redactText(raw); got != out {
				t.Fatalf("redactText(%q) = %q, redactURL gives %q", raw, got, out)
			}
		}
	})
}

// FuzzFetcherErrors: whatever a server answers (status, body, Retry-After),
// the Fetcher's error is bounded, readable, and never holds the request's
// credentials: the token in the query, the userinfo, the bearer token.
func FuzzFetcherErrors(f *testing.F) {
	const (
		user   = "fuzzuser"
		pass   = "hunter2-fuzz-pass"
		token  = "tok-3f9a8b7c6d5e"
		bearer = "bearer-9z8y7x6w5v4u"
	)
	rawURL := "https://" + user + ":" + pass + "@api.example.com/v1/items?access_token=" + token + "&lang=en"
	basic := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	for _, s := range []struct {
		code int
		body string
		ra   string
	}{
		{401, `{"error":"invalid token ` + token + `"}`, ""},
		{403, "GET " + rawURL + " forbidden for Bearer " + bearer, ""},
		{429, "slow down", "120"},
		{500, "<html>boom " + basic + "</html>", "Wed, 21 Oct 2015 07:28:00 GMT"},
		{400, "bad request: access_token=" + url.QueryEscape(token), ""},
		{200, "ok", ""},
		{304, "", ""},
		{302, "see other", ""},
		{503, strings.Repeat("x", 3000) + token, "99999"},
	} {
		f.Add(uint16(s.code), []byte(s.body), s.ra)
	}
	secrets := []string{pass, token, bearer, basic}
	f.Fuzz(func(t *testing.T, code uint16, body []byte, retryAfter string) {
		status := 100 + int(code)%500
		fe := fzFetcher(func(*http.Request) fzResponse {
			return fzResponse{status: status, header: http.Header{"Retry-After": {retryAfter}, "Content-Type": {"text/plain"}}, body: body}
		})
		resp, err := fe.Get(fzCtx(t), Request{URL: rawURL, Header: http.Header{"Authorization": {"Bearer " + bearer}}})
		if err == nil {
			if resp == nil || (status != http.StatusNotModified && (status < 200 || status > 299)) {
				t.Fatalf("status %d: no error, response %v", status, resp)
			}
			return
		}
		msg := err.Error()
		for _, s := range secrets {
			if strings.Contains(msg, s) {
				t.Fatalf("status %d: the error shows the secret %q: %q", status, s, msg)
			}
		}
		var se *StatusError
		if !errors.As(err, &se) {
			t.Fatalf("status %d: %T is not a *StatusError: %v", status, err, err)
		}
		if se.Code != status || se.RetryAfter < 0 || se.RetryAfter > maxRetryAfter {
			t.Fatalf("status %d: code %d, retry after %v", status, se.Code, se.RetryAfter)
		}
		if len(se.Body) > statusBodyLimit || !utf8.ValidString(se.Body) || strings.ContainsFunc(se.Body, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			t.Fatalf("status %d: body %q is not a short printable line", status, se.Body)
		}
		for _, s := range secrets {
			if strings.Contains(se.Body, s) || strings.Contains(se.URL, s) {
				t.Fatalf("status %d: the StatusError keeps the secret %q", status, s)
			}
		}
	})
}

// ---------------------------------------------------------------------
// RSS, Atom and JSON Feed (also the App Store and YouTube feeds' parser).
// ---------------------------------------------------------------------

// FuzzRSSFeed: a feed body through parseFeed and the RSS collector's item
// mapping (htmlToText, links, ids, languages, keyword and exclusion
// matching, reply chains), twice: the second poll uses the first's cursor.
func FuzzRSSFeed(f *testing.F) {
	f.Add([]byte(`<rss version="2.0"><channel><item><title>Acme down</title><link>javascript:alert(1)</link></item></channel></rss>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fe := fzFetcher(func(*http.Request) fzResponse {
			return fzResponse{body: body, header: http.Header{"Content-Type": {"application/xml"}, "Etag": {`"v1"`}}}
		})
		r, err := NewRSS(SourceConfig{Name: "feed", Kind: KindRSS, URL: "https://feeds.example.com/news.xml", Brand: "kilat"}, fzBrand, fe)
		if err != nil {
			t.Fatal(err)
		}
		cursor := ""
		for range 2 {
			b, err := r.Poll(fzCtx(t), cursor)
			fzCheckBatch(t, b, err, KindRSS)
			if err != nil {
				if !errors.Is(err, ErrMalformedFeed) {
					t.Fatalf("a bad body must be ErrMalformedFeed: %v", err)
				}
				return
			}
			if b.Cursor == nil || len(b.Mentions) > maxItemsPerPoll {
				t.Fatalf("cursor %v, %d mentions", b.Cursor, len(b.Mentions))
			}
			for _, m := range b.Mentions {
				// Keep rules: brand posts always; others must not be
				// excluded, and must match unless they reply to a
				// kept item or are App Store reviews.
				whole := len(m.Text) < maxTextBytes-8 && len(m.Title) < maxTitleBytes-8
				if m.ByBrand || !whole {
					continue
				}
				if r.exclude.match(m.Title, m.Text) != "" {
					t.Fatalf("excluded item kept: %+v", m)
				}
				if m.ReplyTo == "" && m.Rating == nil && r.keywords.match(m.Title, m.Text) == "" {
					t.Fatalf("item kept without a keyword: %+v", m)
				}
			}
			cursor = *b.Cursor
		}
	})
}

// ---------------------------------------------------------------------
// Mastodon.
// ---------------------------------------------------------------------

func fzMastodon(t *testing.T, fe *Fetcher) *Mastodon {
	t.Helper()
	stream := true
	cfg := SourceConfig{Name: "masto", Kind: KindMastodon, Brand: "kilat", Mastodon: &MastodonConfig{
		Home:      "https://mastodon.social",
		Instances: []MastodonInstance{{URL: "https://mastodon.social"}, {URL: "https://fosstodon.org", Hashtags: []string{"acme"}}},
		Hashtags:  []string{"kilatexpress", "acme"},
		Token:     secret.New(fzMastoToken),
		Search:    []string{"kilat express"},
		Stream:    &stream,
	}}
	m, err := NewMastodon(cfg, fzBrand, fe)
	if err != nil {
		t.Fatal(err)
	}
	fzNoLimits(fe)
	return m
}

// FuzzMastodon: timelines (tag, brand account, statuses by id), search
// results and thread contexts through Poll (twice, the second paging from
// the first's cursor) and Refresh.
func FuzzMastodon(f *testing.F) {
	f.Add([]byte(`[]`), []byte(`{"statuses":[]}`), []byte(`{"ancestors":[],"descendants":[]}`))
	f.Fuzz(func(t *testing.T, timeline, search, thread []byte) {
		fe := fzFetcher(fzRoute(
			"/api/v2/search", search,
			"/api/v1/accounts/lookup", `{"id":"900","acct":"kilatcare","username":"kilatcare"}`,
			"/context", thread,
			"/api/v1/", timeline,
		))
		m := fzMastodon(t, fe)
		ctx := fzCtx(t)
		b, err := m.Poll(ctx, "")
		fzCheckBatch(t, b, err, KindMastodon)
		var known []store.Mention
		if err == nil {
			known = b.Mentions
			b, err = m.Poll(ctx, *b.Cursor)
			fzCheckBatch(t, b, err, KindMastodon)
			known = append(known, b.Mentions...)
		}
		known = append(known,
			store.Mention{Kind: KindMastodon, NativeID: "https://mastodon.social/users/sinta/statuses/103188938570975982", Author: store.Author{Handle: "sinta@mastodon.social"}},
			store.Mention{Kind: KindMastodon, NativeID: "https://fosstodon.org/users/tobtobxx/statuses/108913983628474640"})
		rb, err := m.Refresh(ctx, known)
		fzCheckBatch(t, rb, err, KindMastodon)
		for _, p := range m.takeProblems() {
			fzCheckErr(t, p)
		}
	})
}

// FuzzMastodonStreamFrame: one streaming frame, decoded twice (the frame,
// then its JSON-in-a-string payload).
func FuzzMastodonStreamFrame(f *testing.F) {
	f.Add([]byte(`{"stream":["hashtag","kilatexpress"],"event":"update","payload":"{\"id\":\"1\",\"uri\":\"https://m.example/s/1\",\"content\":\"<p>Kilat Express</p>\"}"}`))
	f.Add([]byte(`{"event":"delete","payload":"1"}`))
	f.Fuzz(func(t *testing.T, frame []byte) {
		m := fzMastodon(t, fzFetcher(fzRoute()))
		mn, s, tag, id, ok := m.streamFrame(frame)
		for _, p := range m.takeProblems() {
			fzCheckErr(t, p)
		}
		if !ok {
			if mn != nil {
				t.Fatal("a mention from a frame that was not ok")
			}
			return
		}
		if id == "" || tag != strings.ToLower(tag) {
			t.Fatalf("update with id %q, tag %q", id, tag)
		}
		if mn != nil {
			fzCheckMention(t, *mn, KindMastodon)
			fzCheckSample(t, s)
		}
	})
}

// ---------------------------------------------------------------------
// Bluesky: Jetstream frames and the XRPC responses.
// ---------------------------------------------------------------------

func fzBluesky(t *testing.T, fe *Fetcher, password bool) *Bluesky {
	t.Helper()
	bc := &BlueskyConfig{AppView: "https://appview.example", PDS: "https://pds.example", Search: []string{"kilat express"}}
	if password {
		bc.Identifier, bc.AppPassword = "monitor.bsky.social", secret.New(fzBskyPassword)
	}
	b, err := NewBluesky(SourceConfig{Name: "bsky", Kind: KindBluesky, Brand: "kilat", Bluesky: bc}, fzBrand, fe)
	if err != nil {
		t.Fatal(err)
	}
	fzNoLimits(fe)
	return b
}

// FuzzJetstreamFrame: one Jetstream frame through the prefilter, the
// decoder and the matcher. The prefilter "can let through too much, never
// too little": a post the matcher keeps must pass it in the form Jetstream
// sends (canonical JSON, re-encoded here so that escapes Jetstream never
// writes do not count).
func FuzzJetstreamFrame(f *testing.F) {
	f.Add([]byte(`{"did":"did:plc:abc","time_us":1717502400000000,"kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"3k","record":{"text":"Kilat Express telat","createdAt":"2024-06-04T11:00:00Z"}}}`))
	f.Fuzz(func(t *testing.T, frame []byte) {
		b := fzBluesky(t, fzFetcher(fzRoute()), false)
		filter := b.newJetFilter()
		_, _, _ = filter.scan(frame)
		ev, err := jetDecodeEvent(frame)
		if err != nil {
			fzCheckErr(t, err)
			return
		}
		mn, keep := b.eventMention(ev)
		for _, p := range b.takeProblems() {
			fzCheckErr(t, p)
		}
		if !keep {
			return
		}
		if ev.TimeUS <= 0 {
			// scan refuses the frame outright: the stream never decodes
			// it, so it has no server time to date the post against.
			return
		}
		// Jetstream events are dated by the server (time_us), which is
		// what "now" is for the post's date; an absurd time_us is
		// replaced by the fetcher's clock, as eventMention does.
		now := time.UnixMicro(ev.TimeUS)
		if y := now.UTC().Year(); y < 2000 || y > 9999 {
			now = b.fetch.Now()
		}
		fzCheckMentionAt(t, mn, KindBluesky, now)
		canon, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if _, relevant, err := b.newJetFilter().scan(canon); err != nil || !relevant {
			t.Fatalf("the prefilter drops a post the matcher keeps (%v): %s", err, canon)
		}
	})
}

// FuzzBluesky: searchPosts (Poll, with an app password), getProfiles,
// getPosts and getPostThread (Refresh) responses.
func FuzzBluesky(f *testing.F) {
	f.Add([]byte(`{"posts":[]}`), []byte(`{"profiles":[]}`), []byte(`{"thread":{}}`))
	f.Fuzz(func(t *testing.T, posts, profiles, thread []byte) {
		fe := fzFetcher(fzRoute(
			"com.atproto.server.", `{"accessJwt":"eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.x","refreshJwt":"r"}`,
			"app.bsky.feed.searchPosts", posts,
			"app.bsky.feed.getPosts", posts,
			"app.bsky.actor.getProfiles", profiles,
			"app.bsky.feed.getPostThread", thread,
		))
		b := fzBluesky(t, fe, true)
		ctx := fzCtx(t)
		pb, err := b.Poll(ctx, "")
		fzCheckBatch(t, pb, err, KindBluesky)
		known := append(pb.Mentions,
			store.Mention{Kind: KindBluesky, NativeID: "at://did:plc:d3blkgynnwi3rp7vak25pfe3/app.bsky.feed.post/3mptbyo7dms2m"},
			store.Mention{Kind: KindBluesky, NativeID: "at://did:plc:vqr6qcne2dya6o46z2citxdk/app.bsky.feed.post/3mpt6d6eu5k2p"})
		rb, err := b.Refresh(ctx, known)
		fzCheckBatch(t, rb, err, KindBluesky)
		b.enrich(ctx, rb.Mentions)
		for _, m := range rb.Mentions {
			fzCheckMention(t, m, KindBluesky)
		}
		for _, p := range b.takeProblems() {
			fzCheckErr(t, p)
		}
	})
}

// ---------------------------------------------------------------------
// Reddit, Hacker News, Discourse, GitHub.
// ---------------------------------------------------------------------

// FuzzReddit: search listings and the brand's comment history (Poll), and
// by_id listings and comment trees (Refresh).
func FuzzReddit(f *testing.F) {
	f.Add([]byte(`{"kind":"Listing","data":{"children":[]}}`), []byte(`{"kind":"Listing","data":{"children":[]}}`), []byte(`[]`))
	f.Fuzz(func(t *testing.T, listing, comments, thread []byte) {
		fe := fzFetcher(fzRoute(
			redditTokenPath, `{"access_token":"reddit-access-token","token_type":"bearer","expires_in":3600}`,
			"/user/", comments,
			"/comments/", thread,
			".json", listing,
		))
		c, err := NewReddit(SourceConfig{Name: "reddit", Kind: KindReddit, Brand: "kilat", URL: "https://reddit.example", Reddit: &RedditConfig{
			UserAgent: "linux:com.example.pantau:v0.1.0 (by /u/pantau_fuzz)", BrandSubreddits: []string{"KilatExpress"},
			ClientID: "abcDEF123_-x", ClientSecret: secret.New(fzRedditSecret), MaxPages: 2,
		}}, fzBrand, fe)
		if err != nil {
			t.Fatal(err)
		}
		fzNoLimits(fe)
		ctx := fzCtx(t)
		b, err := c.Poll(ctx, "")
		fzCheckBatch(t, b, err, KindReddit)
		known := append(b.Mentions,
			store.Mention{Kind: KindReddit, NativeID: "t3_1abc25"},
			store.Mention{Kind: KindReddit, NativeID: "t1_kx0001", ThreadRoot: "reddit:t3_1abc27"})
		rb, err := c.(Refresher).Refresh(ctx, known)
		fzCheckBatch(t, rb, err, KindReddit)
	})
}

// FuzzHackerNews: Algolia search results (Poll) and item trees (Poll's
// brand-reply linking, and Refresh).
func FuzzHackerNews(f *testing.F) {
	f.Add([]byte(`{"hits":[],"page":0,"nbPages":1}`), []byte(`{"id":1,"children":[]}`))
	f.Fuzz(func(t *testing.T, search, item []byte) {
		fe := fzFetcher(fzRoute("/api/v1/search", search, "/api/v1/items/", item))
		c, err := NewHackerNews(SourceConfig{Name: "hn", Kind: KindHackerNews, Brand: "kilat", URL: "https://hn.example",
			Keywords: []string{"Kilat Express", "Acme"}, HackerNews: &HackerNewsConfig{MaxPages: 2}}, fzBrand, fe)
		if err != nil {
			t.Fatal(err)
		}
		fzNoLimits(fe)
		ctx := fzCtx(t)
		b, err := c.Poll(ctx, "")
		fzCheckBatch(t, b, err, KindHackerNews)
		known := append(b.Mentions, store.Mention{Kind: KindHackerNews, NativeID: "40580001"},
			store.Mention{Kind: KindHackerNews, NativeID: "40580005", ThreadRoot: "hackernews:40580001"})
		rb, err := c.(Refresher).Refresh(ctx, known)
		fzCheckBatch(t, rb, err, KindHackerNews)
	})
}

// FuzzDiscourse: search results, topics (with their post streams) and
// single posts, through Poll and Refresh.
func FuzzDiscourse(f *testing.F) {
	f.Add([]byte(`{"posts":[],"topics":[],"grouped_search_result":{}}`), []byte(`{"id":1,"post_stream":{"posts":[],"stream":[]}}`), []byte(`{"id":1,"topic_id":1}`))
	f.Fuzz(func(t *testing.T, search, topic, post []byte) {
		fe := fzFetcher(fzRoute("/search.json", search, "/t/", topic, "/posts/", post))
		c, err := NewDiscourse(SourceConfig{Name: "forum", Kind: KindDiscourse, Brand: "kilat", URL: "https://forum.example",
			Keywords: []string{"Kilat Express", "Acme"}, Discourse: &DiscourseConfig{
				APIKey: secret.New(fzDiscourseKey), APIUsername: "system", BrandGroups: []string{"kilat_team"}, StaffIsBrand: true, MaxPages: 2, MaxThreadPosts: 60,
			}}, fzBrand, fe)
		if err != nil {
			t.Fatal(err)
		}
		fzNoLimits(fe)
		ctx := fzCtx(t)
		b, err := c.Poll(ctx, "")
		fzCheckBatch(t, b, err, KindDiscourse)
		known := append(b.Mentions,
			store.Mention{Kind: KindDiscourse, NativeID: "forum.example/p/101", URL: "https://forum.example/t/kilat/11/1"},
			store.Mention{Kind: KindDiscourse, NativeID: "forum.example/p/202"})
		rb, err := c.(Refresher).Refresh(ctx, known)
		fzCheckBatch(t, rb, err, KindDiscourse)
	})
}

// FuzzGitHub: issue search results (Poll), single issues and comment lists
// (Refresh).
func FuzzGitHub(f *testing.F) {
	f.Add([]byte(`{"total_count":0,"items":[]}`), []byte(`{"number":1}`), []byte(`[]`))
	f.Fuzz(func(t *testing.T, search, issue, comments []byte) {
		fe := fzFetcher(fzRoute("/search/issues", search, "/comments", comments, "/repos/", issue))
		c, err := NewGitHub(SourceConfig{Name: "gh", Kind: KindGitHub, Brand: "kilat", URL: "https://api.github.example",
			Keywords: []string{"Kilat Express", "Acme"}, GitHub: &GitHubConfig{Token: secret.New(fzGitHubToken), BrandOrgs: []string{"kilatexpress"}, MaxPages: 2}}, fzBrand, fe)
		if err != nil {
			t.Fatal(err)
		}
		fzNoLimits(fe)
		ctx := fzCtx(t)
		b, err := c.Poll(ctx, "")
		fzCheckBatch(t, b, err, KindGitHub)
		known := append(b.Mentions, store.Mention{Kind: KindGitHub, NativeID: "https://github.com/kilatexpress/kilat-sdk-go/issues/42"})
		rb, err := c.(Refresher).Refresh(ctx, known)
		fzCheckBatch(t, rb, err, KindGitHub)
	})
}

// ---------------------------------------------------------------------
// App Store, Google Play, YouTube.
// ---------------------------------------------------------------------

// fzKeys are the signing keys the store collectors need, made once per
// process (an RSA key takes a while).
var fzKeys struct {
	once   sync.Once
	p8     string // App Store Connect, ECDSA P-256, PKCS #8 PEM
	saJSON string // Google service account
	err    error
}

func fzLoadKeys(t *testing.T) {
	t.Helper()
	fzKeys.once.Do(func() {
		ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			fzKeys.err = err
			return
		}
		der, err := x509.MarshalPKCS8PrivateKey(ek)
		if err != nil {
			fzKeys.err = err
			return
		}
		fzKeys.p8 = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
		rk, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			fzKeys.err = err
			return
		}
		der, err = x509.MarshalPKCS8PrivateKey(rk)
		if err != nil {
			fzKeys.err = err
			return
		}
		sa, _ := json.Marshal(map[string]string{
			"type": "service_account", "client_email": "pantau@fuzz.iam.gserviceaccount.com", "private_key_id": "k1",
			"private_key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), "token_uri": "https://oauth.example/token",
		})
		fzKeys.saJSON = string(sa)
	})
	if fzKeys.err != nil {
		t.Fatal(fzKeys.err)
	}
}

// FuzzAppStore: customer-review feed pages and App Store Connect
// customerReviews documents, through Poll (with Connect credentials) and
// Refresh.
func FuzzAppStore(f *testing.F) {
	f.Add([]byte(`<feed xmlns="http://www.w3.org/2005/Atom"></feed>`), []byte(`{"data":[],"included":[],"links":{}}`))
	f.Fuzz(func(t *testing.T, feed, connect []byte) {
		fzLoadKeys(t)
		fe := fzFetcher(func(r *http.Request) fzResponse {
			if r.URL.Host == "connect.example" {
				return fzResponse{body: connect}
			}
			return fzResponse{body: feed, header: http.Header{"Content-Type": {"application/atom+xml"}}}
		})
		a, err := newAppStore(SourceConfig{Name: "ios", Kind: KindAppStore, Brand: "kilat", AppStore: &AppStoreConfig{
			AppID: "1500000001", Countries: []string{"id", "us"}, MaxPages: 2, FeedBase: "https://itunes.example", ConnectBase: "https://connect.example",
			IssuerID: "57246542-96fe-1a63-e053-0824d011072a", KeyID: "2X9R4HXF34", PrivateKey: secret.New(fzKeys.p8),
		}}, fzBrand, fe)
		if err != nil {
			t.Fatal(err)
		}
		fzNoLimits(fe)
		ctx := fzCtx(t)
		b, err := a.Poll(ctx, "")
		fzCheckBatch(t, b, err, KindAppStore)
		known := append(b.Mentions, store.Mention{Kind: KindAppStore, NativeID: "10987654321", Author: store.Author{Handle: "budi"}, Title: "Force close", CreatedAt: fzNow.Add(-time.Hour)})
		rb, err := a.Refresh(ctx, known)
		fzCheckBatch(t, rb, err, KindAppStore)
	})
}

// FuzzGooglePlay: reviews list pages, through Poll.
func FuzzGooglePlay(f *testing.F) {
	f.Add([]byte(`{"reviews":[],"tokenPagination":{}}`))
	f.Fuzz(func(t *testing.T, reviews []byte) {
		fzLoadKeys(t)
		fe := fzFetcher(func(r *http.Request) fzResponse {
			if r.URL.Host == "oauth.example" {
				return fzResponse{body: []byte(`{"access_token":"ya29.fuzz","expires_in":3599,"token_type":"Bearer"}`)}
			}
			return fzResponse{body: reviews}
		})
		on := true
		g, err := newGooglePlay(SourceConfig{Name: "play", Kind: KindGooglePlay, Brand: "kilat", Enabled: &on, GooglePlay: &GooglePlayConfig{
			PackageName: "com.kilatexpress.app", ServiceAccountKey: secret.New(fzKeys.saJSON), APIBase: "https://play.example", MaxPages: 3,
		}}, fzBrand, fe)
		if err != nil {
			t.Fatal(err)
		}
		fzNoLimits(fe)
		b, err := g.Poll(fzCtx(t), "")
		fzCheckBatch(t, b, err, KindGooglePlay)
	})
}

// FuzzYouTube: channel feeds, commentThreads, comments and videos lists,
// through Poll and Refresh.
func FuzzYouTube(f *testing.F) {
	f.Add([]byte(`<feed xmlns="http://www.w3.org/2005/Atom"></feed>`), []byte(`{"items":[]}`), []byte(`{"items":[]}`), []byte(`{"items":[]}`))
	f.Fuzz(func(t *testing.T, feed, threads, comments, videos []byte) {
		fe := fzFetcher(fzRoute(
			"/feeds/videos.xml", fzResponse{body: feed, header: http.Header{"Content-Type": {"application/atom+xml"}}},
			"/commentThreads", threads,
			"/comments", comments,
			"/videos", videos,
		))
		y, err := newYouTube(SourceConfig{Name: "yt", Kind: KindYouTube, Brand: "kilat", YouTube: &YouTubeConfig{
			Channels: []string{"UCkilatexpress0000000000"}, APIKey: secret.New(fzYouTubeKey), DailyQuota: 200,
			FeedBase: "https://yt.example", APIBase: "https://ytapi.example/youtube/v3",
		}}, fzBrand, fe)
		if err != nil {
			t.Fatal(err)
		}
		fzNoLimits(fe)
		ctx := fzCtx(t)
		b, err := y.Poll(ctx, "")
		fzCheckBatch(t, b, err, KindYouTube)
		known := append(b.Mentions,
			store.Mention{Kind: KindYouTube, NativeID: "yt:video:kilatVid001"},
			store.Mention{Kind: KindYouTube, NativeID: "UgzGood00001", ReplyTo: "youtube:yt:video:kilatVid001"})
		rb, err := y.Refresh(ctx, known)
		fzCheckBatch(t, rb, err, KindYouTube)
	})
}

// ---------------------------------------------------------------------
// The inbound webhook.
// ---------------------------------------------------------------------

// fzSink takes batches as the store would: it checks keys as the store
// does (validKeys) and records what it would have rejected.
type fzSink struct {
	fail     bool
	batches  []store.Batch
	rejected []error
}

func (s *fzSink) Ingest(_ context.Context, b store.Batch) (store.IngestResult, error) {
	s.batches = append(s.batches, b)
	if s.fail {
		return store.IngestResult{}, errors.New("disk full")
	}
	var res store.IngestResult
	for i, m := range b.Mentions {
		m.Key = store.MentionKey(m.Kind, m.NativeID)
		var err error
		switch {
		case m.NativeID == "":
			err = errors.New("no native id")
		case len(m.Key) > 1024 || len(m.ReplyTo) > 1024 || len(m.ThreadRoot) > 1024:
			err = errors.New("key too large")
		case strings.IndexByte(m.Key+m.ReplyTo+m.ThreadRoot, 0) >= 0:
			err = errors.New("id contains a NUL byte")
		}
		if err != nil {
			err = fmt.Errorf("mention %d: %w", i, err)
			res.Rejected = append(res.Rejected, err)
			s.rejected = append(s.rejected, err)
			continue
		}
		res.New = append(res.New, m)
	}
	return res, nil
}

// FuzzWebhook: a request body through the webhook handler. mode%4 is the
// authentication: 0 a valid bearer token, 1 a wrong one, 2 a valid
// signature, 3 a signature keyed with the fuzzed timestamp (never valid);
// mode&4 configures platforms and a mention kind; mode&8 makes the sink
// fail. The answer is 2xx or 4xx (503 only when the sink failed), always a
// JSON object; every mention handed on is one the store takes.
func FuzzWebhook(f *testing.F) {
	f.Add([]byte(`{"id":"1","text":"Kilat Express telat"}`), uint8(0), "")
	f.Add([]byte(`{"mentions":[{"id":"1","text":"a"},{"id":"","text":"b"}]}`), uint8(2), "")
	f.Add([]byte(`{"id":"1","text":"x"}`), uint8(3), "1717502400")
	f.Fuzz(func(t *testing.T, body []byte, mode uint8, ts string) {
		cfg := &WebhookConfig{Secret: secret.New(fzHookSecret)}
		if mode&4 != 0 {
			cfg.MentionKind, cfg.Platforms = "social", []string{"x", "instagram"}
		}
		w, err := NewWebhook(SourceConfig{Name: "hook", Kind: KindWebhook, Brand: "kilat", Webhook: cfg}, fzBrand, fzFetcher(fzRoute()))
		if err != nil {
			t.Fatal(err)
		}
		sink := &fzSink{fail: mode&8 != 0}
		req := httptest.NewRequest(http.MethodPost, "/hooks/hook", bytes.NewReader(body))
		authorized := true
		switch mode % 4 {
		case 0:
			req.Header.Set("Authorization", "Bearer "+fzHookSecret)
		case 1:
			req.Header.Set("Authorization", "Bearer "+fzHookSecret+"x")
			authorized = false
		case 2:
			now := strconv.FormatInt(fzNow.Unix(), 10)
			req.Header.Set(WebhookTimestampHeader, now)
			req.Header.Set(WebhookSignatureHeader, "sha256="+hex.EncodeToString(webhookSignature(fzHookSecret, now, body)))
		case 3:
			mac := hmac.New(sha256.New, []byte(ts))
			mac.Write(body)
			req.Header.Set(WebhookTimestampHeader, ts)
			req.Header.Set(WebhookSignatureHeader, "sha256="+hex.EncodeToString(mac.Sum(nil)))
			authorized = false // a valid signature needs the secret
		}
		rec := httptest.NewRecorder()
		w.Handler(sink, nil).ServeHTTP(rec, req)

		code := rec.Code
		switch {
		case code == http.StatusServiceUnavailable && sink.fail && len(sink.batches) == 1:
		case code >= 200 && code < 300, code >= 400 && code < 500:
		default:
			t.Fatalf("status %d (sink failing: %v): %s", code, sink.fail, rec.Body.Bytes())
		}
		if !authorized && (code != http.StatusUnauthorized || len(sink.batches) > 0) {
			t.Fatalf("unauthenticated request answered %d with %d batches", code, len(sink.batches))
		}
		var rep webhookReport
		if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil || !utf8.Valid(rec.Body.Bytes()) {
			t.Fatalf("status %d: answer is not a JSON object: %v: %q", code, err, rec.Body.Bytes())
		}
		if len(sink.rejected) > 0 {
			t.Fatalf("the store would reject what the webhook accepted: %v", sink.rejected)
		}
		if code/100 == 2 {
			if len(sink.batches) != 1 || rep.Accepted != len(sink.batches[0].Mentions) || rep.Accepted == 0 {
				t.Fatalf("status %d: accepted %d, sink got %d batches", code, rep.Accepted, len(sink.batches))
			}
		} else if code != http.StatusServiceUnavailable && len(sink.batches) > 0 {
			t.Fatalf("status %d, yet the sink got a batch", code)
		}
		for _, r := range rep.Rejected {
			if !utf8.ValidString(r.Error) || r.Error == "" || len(r.Error) > 4096 || len(r.ID) > 120 {
				t.Fatalf("rejection %+v", r)
			}
		}
		for _, b := range sink.batches {
			if len(b.Mentions) > maxWebhookItems {
				t.Fatalf("%d mentions in one batch", len(b.Mentions))
			}
			for _, m := range b.Mentions {
				if m.CreatedAt.After(fzNow.Add(webhookMaxFuture)) {
					t.Fatalf("created_at %v in the future", m.CreatedAt)
				}
				if m.Lang != "" && !webhookLangPattern.MatchString(m.Lang) {
					t.Fatalf("lang %q is not a language tag", m.Lang)
				}
				m.Lang = "" // checked above: a full tag ("en-US"), not a primary subtag
				fzCheckMention(t, m, w.kind)
				if m.Text == "" {
					t.Fatal("a mention without text")
				}
			}
			for _, s := range b.Samples {
				fzCheckSample(t, s)
			}
		}
	})
}
