package notify

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Every notifier follows one status policy, so the dispatcher can treat
// them all alike:
//
//   - 2xx: delivered.
//   - 429 and 5xx: the receiver may take it later: retry, with backoff and
//     at least the receiver's Retry-After.
//   - any other status (other 4xx, 3xx since redirects are not followed):
//     the receiver refuses this message for good: permanent, with the
//     response body in the error so a person can see why.
//   - network errors (refused, reset, timeout, TLS): retry.
//
// E-mail maps SMTP replies the same way: 4yz is transient (retry), 5yz is
// permanent, as RFC 5321 defines them.

const (
	// maxBodyRead bounds how much of a response body is read: an error
	// body is for a person to read, not a download.
	maxBodyRead = 64 << 10
	// maxBodyShown bounds the body quoted in an error.
	maxBodyShown = 512
)

// StatusError is a receiver's answer other than 2xx, or an SMTP reply
// other than success. Its text never holds a secret.
type StatusError struct {
	Kind   string // the notifier kind ("slack", "email"...)
	Code   int    // HTTP status or SMTP reply code
	Body   string // the response body or SMTP text, trimmed and redacted
	After  time.Duration
	Retry  bool
	target string // the endpoint as it may be shown
}

func (e *StatusError) Error() string {
	var b strings.Builder
	b.WriteString(e.Kind)
	if e.target != "" {
		b.WriteString(": ")
		b.WriteString(e.target)
	}
	b.WriteString(": ")
	if e.Kind == KindEmail {
		fmt.Fprintf(&b, "SMTP %d", e.Code)
	} else {
		fmt.Fprintf(&b, "%d %s", e.Code, http.StatusText(e.Code))
	}
	if e.After > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.After)
	}
	if e.Body != "" {
		b.WriteString(": ")
		b.WriteString(e.Body)
	}
	return b.String()
}

// RetryAfter is how long the receiver asked to wait; zero when it did not.
func (e *StatusError) RetryAfter() time.Duration { return e.After }

// retryAfterer is what the dispatcher looks for in a notifier's error.
type retryAfterer interface{ RetryAfter() time.Duration }

// RetryAfterOf returns the wait a receiver asked for in err, or zero.
func RetryAfterOf(err error) time.Duration {
	var ra retryAfterer
	if errors.As(err, &ra) {
		return ra.RetryAfter()
	}
	return 0
}

// classify applies the status policy to an HTTP status: ok, or whether
// to retry.
func classify(code int) (ok, retry bool) {
	switch {
	case code >= 200 && code < 300:
		return true, false
	case code == http.StatusTooManyRequests || code >= 500:
		return false, true
	}
	return false, false
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP
// date. Anything else, or a time in the past, is zero.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		// Bound before multiplying, so a huge value cannot overflow.
		return time.Duration(min(n, 7*24*3600)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// redactor removes secret values from text: a notifier's error messages
// and receivers' response bodies, which may echo what was sent (a URL
// with its token, an Authorization header, a routing key in a JSON body).
type redactor struct{ secrets []string }

// minSecretLen skips values so short that replacing them would mangle
// messages without protecting anything.
const minSecretLen = 4

func (r *redactor) add(v string) {
	if len(v) < minSecretLen {
		return
	}
	forms := []string{v, url.PathEscape(v), url.QueryEscape(v), base64.StdEncoding.EncodeToString([]byte(v))}
	if j, err := json.Marshal(v); err == nil {
		forms = append(forms, string(j[1:len(j)-1]))
	}
	for _, f := range forms {
		if len(f) >= minSecretLen && !slices.Contains(r.secrets, f) {
			r.secrets = append(r.secrets, f)
		}
	}
	// Longest first, so a secret that contains another is replaced whole.
	slices.SortFunc(r.secrets, func(a, b string) int { return len(b) - len(a) })
}

// addURL adds a URL that is itself a secret (a webhook URL whose path is
// the credential) and the parts of it a receiver might echo: the path,
// the user info, the query values and the path segments that look like
// tokens.
func (r *redactor) addURL(raw string) {
	r.add(raw)
	u, err := url.Parse(raw)
	if err != nil {
		return
	}
	r.add(u.RequestURI())
	r.add(u.EscapedPath())
	r.add(u.Path)
	if u.User != nil {
		r.add(u.User.Username())
		if p, ok := u.User.Password(); ok {
			r.add(p)
		}
	}
	for _, vs := range u.Query() {
		for _, v := range vs {
			r.add(v)
		}
	}
	r.add(u.Fragment)
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	for i, s := range segs {
		// The last segment is often the whole secret (an ntfy topic, a
		// Slack token); others when they look like ids or tokens rather
		// than words like "services" or "webhooks".
		if i == len(segs)-1 || len(s) >= 20 || len(s) >= 6 && strings.ContainsAny(s, "0123456789") {
			r.add(s)
		}
	}
}

// String returns s with every secret replaced by "<secret>".
func (r *redactor) String(s string) string {
	for _, v := range r.secrets {
		if strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, "<secret>")
		}
	}
	return s
}

// errorf builds an error whose text is redacted. The cause is kept only as
// text: wrapping it would let a caller print the original.
func (r *redactor) errorf(format string, args ...any) error {
	return errors.New(r.String(fmt.Sprintf(format, args...)))
}

// shownURL is how a secret endpoint appears in errors: its scheme and host
// only.
func shownURL(raw string, secretPath bool) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "<endpoint>"
	}
	if secretPath {
		return u.Scheme + "://" + u.Host + "/…"
	}
	c := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	return c.String()
}

// poster sends one HTTP request under the status policy. One per
// notifier: it knows the notifier's secrets.
type poster struct {
	kind   string
	client *http.Client
	ua     string
	now    func() time.Time
	red    *redactor
	// target is how the endpoint is named in errors.
	target string
	// onError, when set, may refine a refusal from the raw body (a
	// retry_after in Telegram's JSON).
	onError func(body []byte, e *StatusError)
}

func newPoster(kind string, d Deps, red *redactor, target string) *poster {
	c := *d.client()
	// Do not follow redirects: a redirected webhook would carry the body
	// (and on 307/308 the credentials) to wherever the Location says, and
	// a receiver that moved must be reconfigured, not guessed.
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &poster{kind: kind, client: &c, ua: d.userAgent(), now: d.now(), red: red, target: target}
}

// post sends body to rawURL with the given headers.
func (p *poster) post(ctx context.Context, rawURL string, header http.Header, body []byte) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		// The parse error quotes the URL: say only that it is bad.
		return false, fmt.Errorf("%s: %s: invalid endpoint URL", p.kind, p.target)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("User-Agent", p.ua)
	resp, err := p.client.Do(req)
	if err != nil {
		// *url.Error prints the method and the full URL; keep only its
		// cause, and redact that too.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return true, p.red.errorf("%s: POST %s: %v", p.kind, p.target, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxBodyRead))
	// Drain a little more so the connection can be reused.
	_, _ = io.CopyN(io.Discard, resp.Body, maxBodyRead)
	ok, retry := classify(resp.StatusCode)
	if ok {
		return false, nil
	}
	e := &StatusError{
		Kind:   p.kind,
		Code:   resp.StatusCode,
		Retry:  retry,
		target: "POST " + p.target,
		Body:   p.showBody(raw),
	}
	if retry {
		e.After = parseRetryAfter(resp.Header.Get("Retry-After"), p.now())
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		e.Body = "unexpected redirect (redirects are not followed; check the configured URL)"
	}
	if p.onError != nil {
		p.onError(raw, e)
	}
	return retry, e
}

// showBody makes a response body fit for an error: redacted first (so a
// cut cannot leave half a secret), then trimmed to one short line.
func (p *poster) showBody(raw []byte) string {
	return trimText(p.red.String(string(raw)), maxBodyShown)
}

// trimText collapses whitespace and control characters to single spaces
// and cuts s to at most n bytes at a rune boundary.
func trimText(s string, n int) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		if b.Len()+utf8.RuneLen(r) > n {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

func jsonHeader() http.Header {
	return http.Header{"Content-Type": {"application/json"}}
}
