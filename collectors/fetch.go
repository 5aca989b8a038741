package collectors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"
)

// DefaultUserAgent identifies Pantau to the sites it polls. Operators should
// set their own with a contact address (FetcherOptions.UserAgent): sites that
// see a problem can then reach a human instead of blocking an IP.
const DefaultUserAgent = "Pantau/0.1 (+https://github.com/pantau/pantau; self-hosted brand monitor)"

const (
	// DefaultMaxBodyBytes caps a response body. Real feeds are well under
	// 1 MiB; anything much bigger is a mistake or an attack.
	DefaultMaxBodyBytes = 5 << 20
	// DefaultRate is the per-host request rate: one request a second is the
	// politest of the documented limits (Mastodon, Discourse).
	DefaultRate  = rate.Limit(1)
	DefaultBurst = 2
	// defaultTimeout bounds one request end to end.
	defaultTimeout = 30 * time.Second
	// statusBodyLimit is how much of an error response is kept for the
	// message.
	statusBodyLimit = 512
	// maxRetryAfter clamps a server's Retry-After. A buggy or hostile
	// server must not be able to silence a source for months; a day is
	// more than any real rate limit asks for.
	maxRetryAfter = 24 * time.Hour
	maxRedirects  = 5
)

// ErrTooLarge is wrapped by the error for a response bigger than the cap.
var ErrTooLarge = errors.New("response too large")

// FetcherOptions configure a Fetcher. Zero values get sensible defaults.
type FetcherOptions struct {
	// Client does the HTTP. Nil means a client with a 30 s timeout, a 10 s
	// dial and TLS handshake timeout and at most 5 redirects.
	Client *http.Client
	// UserAgent is sent with every request; empty means DefaultUserAgent.
	UserAgent string
	// MaxBodyBytes caps a response body; zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// HostRate overrides the request rate for a host name (lower case,
	// without port), e.g. {"www.reddit.com": rate.Every(6 * time.Second)}.
	HostRate map[string]rate.Limit
	// Rate and Burst are the per-host token bucket for every other host.
	// Zero means DefaultRate and DefaultBurst; rate.Inf turns limiting off.
	Rate  rate.Limit
	Burst int
	// Now is the clock used for Retry-After dates and by collectors; nil
	// means time.Now.
	Now func() time.Time
}

// Fetcher is the one HTTP layer every collector uses: identifying
// User-Agent, timeouts, conditional GET, a response size cap, per-host
// rate limits and errors that carry Retry-After but never secrets.
// It is safe for concurrent use.
type Fetcher struct {
	client    *http.Client
	userAgent string
	maxBody   int64
	hostRate  map[string]rate.Limit
	rate      rate.Limit
	burst     int
	now       func() time.Time

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
}

// NewFetcher builds a Fetcher from opts.
func NewFetcher(opts FetcherOptions) *Fetcher {
	f := &Fetcher{
		client:    opts.Client,
		userAgent: opts.UserAgent,
		maxBody:   opts.MaxBodyBytes,
		hostRate:  make(map[string]rate.Limit, len(opts.HostRate)),
		rate:      opts.Rate,
		burst:     opts.Burst,
		now:       opts.Now,
		limiters:  make(map[string]*rate.Limiter),
	}
	if f.client == nil {
		f.client = defaultClient()
	}
	if f.userAgent == "" {
		f.userAgent = DefaultUserAgent
	}
	if f.maxBody <= 0 {
		f.maxBody = DefaultMaxBodyBytes
	}
	if f.rate == 0 {
		f.rate = DefaultRate
	}
	if f.burst <= 0 {
		f.burst = DefaultBurst
	}
	if f.now == nil {
		f.now = time.Now
	}
	for h, r := range opts.HostRate {
		f.hostRate[strings.ToLower(h)] = r
	}
	return f
}

func defaultClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSHandshakeTimeout = 10 * time.Second
	tr.ResponseHeaderTimeout = 20 * time.Second
	return &http.Client{
		Timeout:   defaultTimeout,
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("stopped after %d redirects", maxRedirects)
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("refusing redirect to a %q URL", req.URL.Scheme)
			}
			return nil
		},
	}
}

// Now is the Fetcher's clock.
func (f *Fetcher) Now() time.Time { return f.now() }

// Request is one HTTP request. Method defaults to GET.
type Request struct {
	Method string
	URL    string
	// Body is sent with POST and the like (login, OAuth token calls);
	// set its Content-Type in Header.
	Body []byte
	// ETag and LastModified are the validators from the previous response;
	// they become If-None-Match and If-Modified-Since.
	ETag         string
	LastModified string
	// Header holds extra request headers (Accept, Authorization...). A
	// User-Agent here replaces the Fetcher's (Reddit wants its own format).
	Header http.Header
}

// Response is a successful (2xx) or not-modified (304) response.
type Response struct {
	StatusCode int
	// Body is empty when NotModified.
	Body         []byte
	ContentType  string
	ETag         string
	LastModified string
	// Header is the response's header, for platform rate-limit headers
	// (X-RateLimit-Remaining, RateLimit-Reset...).
	Header http.Header
	// NotModified is true on 304: nothing changed since the validators
	// sent; ETag and LastModified are then the ones to keep.
	NotModified bool
}

// StatusError is a response outside 2xx and 304.
type StatusError struct {
	Code int
	// Body is the start of the response body (at most about 512 bytes,
	// valid UTF-8, secrets of the request URL removed).
	Body string
	// RetryAfter is the server's Retry-After; zero when absent.
	RetryAfter time.Duration
	// URL is the request URL, redacted.
	URL string
	// Method is the request's method.
	Method string
	// Header is the response's header, for platforms whose rate-limit
	// reset comes in their own header (X-RateLimit-Reset as a timestamp,
	// seconds, or epoch).
	Header http.Header
}

func (e *StatusError) Error() string {
	var b strings.Builder
	method := e.Method
	if method == "" {
		method = http.MethodGet
	}
	fmt.Fprintf(&b, "%s %s: HTTP %d", method, e.URL, e.Code)
	if t := http.StatusText(e.Code); t != "" {
		b.WriteString(" " + t)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.Body != "" {
		fmt.Fprintf(&b, ": %q", e.Body)
	}
	return b.String()
}

// Temporary reports whether the request may succeed later: rate limits,
// server errors and timeouts. Other 4xx need a config change.
func (e *StatusError) Temporary() bool {
	return e.Code == http.StatusTooManyRequests || e.Code == http.StatusRequestTimeout || e.Code >= 500
}

// redactedError carries a message that was redacted when it was built while
// still letting errors.Is/As see the cause (context.DeadlineExceeded,
// ErrTooLarge). The cause is never a *url.Error, whose text holds the full
// URL.
type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }

// Get performs r as a GET; see Do.
func (f *Fetcher) Get(ctx context.Context, r Request) (*Response, error) {
	r.Method = http.MethodGet
	return f.Do(ctx, r)
}

// Do performs a request (GET unless r.Method says otherwise). It waits for
// the host's rate limiter, sends the validators, and returns the body read
// up to the size cap. Errors name the URL only in redacted form, and never
// contain the request's credentials.
func (f *Fetcher) Do(ctx context.Context, r Request) (*Response, error) {
	u, err := url.Parse(r.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("GET %s: not an absolute http or https URL", redactURL(r.URL))
	}
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	shown := redactParsedURL(u)
	hdrSecrets := headerSecrets(r.Header)
	fail := func(what string, cause error) error {
		msg := fmt.Sprintf("%s %s: %s", method, shown, what)
		if cause != nil {
			msg += ": " + cause.Error()
		}
		return &redactedError{msg: scrubSecrets(redactText(msg), u, hdrSecrets...), cause: cause}
	}

	if err := f.limiter(u.Host).Wait(ctx); err != nil {
		return nil, fail("waiting for the host's rate limit", ctxCause(ctx, err))
	}

	var reqBody io.Reader
	if r.Body != nil {
		reqBody = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), reqBody)
	if err != nil {
		return nil, fail("build request", nil)
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", f.userAgent)
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "*/*")
	}
	if r.ETag != "" {
		req.Header.Set("If-None-Match", r.ETag)
	}
	if r.LastModified != "" {
		req.Header.Set("If-Modified-Since", r.LastModified)
	}

	resp, err := f.client.Do(req)
	if err != nil {
		// *url.Error repeats the full URL, query included: keep only its
		// cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fail("request failed", ctxCause(ctx, err))
	}
	defer resp.Body.Close()

	out := &Response{
		StatusCode:   resp.StatusCode,
		ContentType:  resp.Header.Get("Content-Type"),
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
		Header:       resp.Header,
	}
	switch {
	case resp.StatusCode == http.StatusNotModified:
		// A 304 may omit the validators; the ones we sent still hold.
		out.NotModified = true
		if out.ETag == "" {
			out.ETag = r.ETag
		}
		if out.LastModified == "" {
			out.LastModified = r.LastModified
		}
		return out, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		se := f.statusError(resp, u, shown, hdrSecrets)
		se.Method, se.Header = method, resp.Header
		return nil, se
	}

	tooLarge := &redactedError{msg: fmt.Sprintf("%s %s: response body is larger than the %s limit", method, shown, formatBytes(f.maxBody)), cause: ErrTooLarge}
	if resp.ContentLength > f.maxBody {
		return nil, tooLarge
	}
	// Read one byte past the cap to tell "exactly the cap" from "more":
	// memory use stays bounded whatever the server sends.
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.maxBody+1))
	if err != nil {
		return nil, fail("read body", ctxCause(ctx, err))
	}
	if int64(len(body)) > f.maxBody {
		return nil, tooLarge
	}
	out.Body = body
	return out, nil
}

// ctxCause prefers the context's error, so a timeout reads as "context
// deadline exceeded" and errors.Is works, rather than a transport detail.
func ctxCause(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("%w (%s)", ctxErr, err.Error())
	}
	return err
}

func (f *Fetcher) statusError(resp *http.Response, u *url.URL, shown string, hdrSecrets []string) *StatusError {
	// Keep the start of the body for the message; drain a little more so
	// the connection can be reused, but never read a huge error page.
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 4*statusBodyLimit))
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	return &StatusError{
		Code: resp.StatusCode,
		// Scrub before trimming: a cut could leave part of a long token
		// that no longer matches whole.
		Body:       trimBody([]byte(scrubSecrets(redactText(string(head)), u, hdrSecrets...)), statusBodyLimit),
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), f.now()),
		URL:        shown,
	}
}

// trimBody makes an error body printable: valid UTF-8, whitespace collapsed,
// at most n bytes.
func trimBody(b []byte, n int) string {
	// Bad bytes and control characters become spaces, never nothing:
	// deleting them could join the halves of a secret that was scrubbed
	// only whole.
	s := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(string(b), " "))
	return truncateUTF8(strings.Join(strings.Fields(s), " "), n)
}

// truncateUTF8 cuts s to at most n bytes on a rune boundary, marking the
// cut with an ellipsis.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ell = "…"
	cut := max(n-len(ell), 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ell
}

// parseRetryAfter reads Retry-After as delay-seconds or as an HTTP date
// (RFC 9110 10.2.3), relative to now. Garbage and past dates give zero.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

// LimitHost sets the request rate for one host (a URL's Host: the name,
// with the port when the URL gives one, so two servers on one machine keep
// separate limits), replacing its current
// limiter: collectors call it with each platform's documented limit
// (Reddit's 10 a minute without OAuth, Mastodon's 300 per 5 minutes...).
// The slowest limit asked for a host wins, since one host may serve
// several sources.
func (f *Fetcher) LimitHost(host string, r rate.Limit, burst int) {
	host = strings.ToLower(host)
	f.mu.Lock()
	defer f.mu.Unlock()
	if old, ok := f.hostRate[host]; ok && old < r {
		return
	}
	if burst < 1 {
		burst = 1
	}
	f.hostRate[host] = r
	f.limiters[host] = rate.NewLimiter(r, burst)
}

func (f *Fetcher) limiter(host string) *rate.Limiter {
	host = strings.ToLower(host)
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.limiters[host]
	if !ok {
		r, ok := f.hostRate[host]
		if !ok {
			// A limit set for the bare name covers every port of it.
			if name, _, err := net.SplitHostPort(host); err == nil {
				r, ok = f.hostRate[name]
			}
		}
		if !ok {
			r = f.rate
		}
		l = rate.NewLimiter(r, f.burst)
		f.limiters[host] = l
	}
	return l
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d-byte", n)
	}
}
