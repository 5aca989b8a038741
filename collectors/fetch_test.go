package collectors

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

func TestFetcherGet(t *testing.T) {
	clk := newTestClock()
	tests := map[string]struct {
		req     Request
		maxBody int64
		handler http.HandlerFunc
		check   func(t *testing.T, resp *Response, err error)
	}{
		"ok sends user agent and validators, returns new ones": {
			req: Request{ETag: `"v1"`, LastModified: "Mon, 03 Jun 2024 10:00:00 GMT"},
			handler: func(w http.ResponseWriter, r *http.Request) {
				if got := r.Header.Get("User-Agent"); got != "PantauTest/1.0 (+test)" {
					http.Error(w, "bad UA "+got, 400)
					return
				}
				if r.Header.Get("If-None-Match") != `"v1"` || r.Header.Get("If-Modified-Since") != "Mon, 03 Jun 2024 10:00:00 GMT" {
					http.Error(w, "validators missing", 400)
					return
				}
				w.Header().Set("ETag", `"v2"`)
				w.Header().Set("Last-Modified", "Tue, 04 Jun 2024 10:00:00 GMT")
				w.Header().Set("Content-Type", "application/rss+xml")
				fmt.Fprint(w, "<rss/>")
			},
			check: func(t *testing.T, resp *Response, err error) {
				if err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode != 200 || string(resp.Body) != "<rss/>" || resp.ETag != `"v2"` ||
					resp.LastModified != "Tue, 04 Jun 2024 10:00:00 GMT" || resp.ContentType != "application/rss+xml" || resp.NotModified {
					t.Fatalf("resp = %+v", resp)
				}
			},
		},
		"304 keeps the validators that were sent": {
			req: Request{ETag: `"v1"`, LastModified: "Mon, 03 Jun 2024 10:00:00 GMT"},
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusNotModified)
			},
			check: func(t *testing.T, resp *Response, err error) {
				if err != nil {
					t.Fatal(err)
				}
				if !resp.NotModified || resp.ETag != `"v1"` || resp.LastModified != "Mon, 03 Jun 2024 10:00:00 GMT" || len(resp.Body) != 0 {
					t.Fatalf("resp = %+v", resp)
				}
			},
		},
		"404 is a StatusError with a trimmed body": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(404)
				fmt.Fprint(w, "  not\n\nhere  "+strings.Repeat("x", 5000))
			},
			check: func(t *testing.T, resp *Response, err error) {
				var se *StatusError
				if !errors.As(err, &se) {
					t.Fatalf("err = %v, want *StatusError", err)
				}
				if se.Code != 404 || !strings.HasPrefix(se.Body, "not here x") || len(se.Body) > statusBodyLimit || se.Temporary() {
					t.Fatalf("StatusError = %+v", se)
				}
				if !strings.Contains(err.Error(), "HTTP 404 Not Found") {
					t.Fatalf("message %q does not name the status", err)
				}
			},
		},
		"429 with Retry-After seconds": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "120")
				w.WriteHeader(429)
			},
			check: func(t *testing.T, resp *Response, err error) {
				var se *StatusError
				if !errors.As(err, &se) || se.RetryAfter != 2*time.Minute || !se.Temporary() {
					t.Fatalf("err = %#v", err)
				}
				if !strings.Contains(err.Error(), "retry after 2m0s") {
					t.Fatalf("message %q does not mention the retry", err)
				}
			},
		},
		"503 with Retry-After as an HTTP date on the injected clock": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", clk.Now().Add(10*time.Minute).Format(http.TimeFormat))
				w.WriteHeader(503)
			},
			check: func(t *testing.T, resp *Response, err error) {
				var se *StatusError
				if !errors.As(err, &se) || se.RetryAfter != 10*time.Minute {
					t.Fatalf("err = %#v", err)
				}
			},
		},
		"too large by Content-Length": {
			maxBody: 1 << 10,
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", "4096")
				w.Write(make([]byte, 4096))
			},
			check: func(t *testing.T, resp *Response, err error) {
				if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "larger than the 1 KiB limit") {
					t.Fatalf("err = %v", err)
				}
			},
		},
		"too large when streamed without a length": {
			maxBody: 1 << 10,
			handler: func(w http.ResponseWriter, r *http.Request) {
				for range 4 {
					w.Write(make([]byte, 1000))
					w.(http.Flusher).Flush()
				}
			},
			check: func(t *testing.T, resp *Response, err error) {
				if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "1 KiB") {
					t.Fatalf("err = %v", err)
				}
			},
		},
		"exactly the cap is fine": {
			maxBody: 1 << 10,
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Write(make([]byte, 1<<10))
			},
			check: func(t *testing.T, resp *Response, err error) {
				if err != nil || len(resp.Body) != 1<<10 {
					t.Fatalf("err = %v", err)
				}
			},
		},
		"not an http URL": {
			req: Request{URL: "file:///etc/passwd"},
			check: func(t *testing.T, resp *Response, err error) {
				if err == nil || !strings.Contains(err.Error(), "not an absolute http or https URL") {
					t.Fatalf("err = %v", err)
				}
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			f := NewFetcher(FetcherOptions{Rate: rate.Inf, Now: clk.Now, UserAgent: "PantauTest/1.0 (+test)", MaxBodyBytes: tc.maxBody})
			req := tc.req
			if req.URL == "" {
				req.URL = srv.URL + "/feed"
			}
			resp, err := f.Get(context.Background(), req)
			tc.check(t, resp, err)
		})
	}
}

// The size cap must hold memory use down whatever the server sends: the
// fetcher stops reading and drops the connection, so a server streaming
// forever cannot push more than socket buffers' worth.
func TestFetcherDoesNotReadPastCap(t *testing.T) {
	const stream = 256 << 20
	var written atomic.Int64
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		chunk := make([]byte, 32<<10)
		for written.Load() < stream {
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	f := NewFetcher(FetcherOptions{Rate: rate.Inf, MaxBodyBytes: 64 << 10})
	_, err := f.Get(context.Background(), Request{URL: srv.URL})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v", err)
	}
	wait(t, done, "the handler to notice the closed connection")
	if written.Load() >= stream {
		t.Fatalf("server wrote the whole %d-byte stream: the body was read past the cap", stream)
	}
}

func TestFetcherContextCancel(t *testing.T) {
	arrived := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
	}))
	defer srv.Close()
	f := NewFetcher(FetcherOptions{Rate: rate.Inf})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	_, err := f.Get(ctx, Request{URL: srv.URL + "/slow?token=SECRET123"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if strings.Contains(err.Error(), "SECRET123") {
		t.Fatalf("secret leaked: %v", err)
	}
}

func TestFetcherRateLimitPerHost(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	// One request an hour, burst one: the second request would have to
	// wait far past the context's deadline, which the limiter reports at
	// once instead of sleeping.
	slow := NewFetcher(FetcherOptions{Rate: rate.Every(time.Hour), Burst: 1})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := slow.Get(ctx, Request{URL: srv.URL}); err != nil {
		t.Fatal(err)
	}
	_, err := slow.Get(ctx, Request{URL: srv.URL})
	if err == nil || !strings.Contains(err.Error(), "rate limit") {
		t.Fatalf("second request: err = %v, want a rate-limit error", err)
	}
	if hits.Load() != 1 {
		t.Fatalf("server saw %d requests, want 1", hits.Load())
	}

	// A host override lifts the limit for that host only.
	fast := NewFetcher(FetcherOptions{Rate: rate.Every(time.Hour), Burst: 1, HostRate: map[string]rate.Limit{"127.0.0.1": rate.Inf}})
	for i := range 3 {
		if _, err := fast.Get(ctx, Request{URL: srv.URL}); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
}

func TestFetcherDefaultUserAgentAndTimeout(t *testing.T) {
	f := NewFetcher(FetcherOptions{})
	if f.userAgent != DefaultUserAgent || f.client.Timeout != 30*time.Second || f.maxBody != DefaultMaxBodyBytes {
		t.Fatalf("defaults: ua=%q timeout=%s max=%d", f.userAgent, f.client.Timeout, f.maxBody)
	}
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- r.UserAgent() }))
	defer srv.Close()
	// A caller's own User-Agent (Reddit's required format) wins.
	f = NewFetcher(FetcherOptions{Rate: rate.Inf})
	if _, err := f.Get(context.Background(), Request{URL: srv.URL, Header: http.Header{"User-Agent": {"linux:com.example.pantau:v0.1 (by /u/acme)"}}}); err != nil {
		t.Fatal(err)
	}
	if ua := <-got; ua != "linux:com.example.pantau:v0.1 (by /u/acme)" {
		t.Fatalf("UA = %q", ua)
	}
	if _, err := f.Get(context.Background(), Request{URL: srv.URL}); err != nil {
		t.Fatal(err)
	}
	if ua := <-got; ua != DefaultUserAgent {
		t.Fatalf("UA = %q", ua)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2024, 6, 4, 12, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		in   string
		want time.Duration
	}{
		"empty":              {"", 0},
		"seconds":            {"120", 2 * time.Minute},
		"seconds with space": {" 5 ", 5 * time.Second},
		"zero":               {"0", 0},
		"negative":           {"-5", 0},
		"http date":          {"Tue, 04 Jun 2024 12:10:00 GMT", 10 * time.Minute},
		"rfc850 date":        {"Tuesday, 04-Jun-24 12:01:00 GMT", time.Minute},
		"asctime date":       {"Tue Jun  4 12:00:30 2024", 30 * time.Second},
		"date in the past":   {"Tue, 04 Jun 2024 11:00:00 GMT", 0},
		"huge seconds clamp": {"99999999999", maxRetryAfter},
		"far date clamp":     {"Fri, 04 Jun 2100 12:00:00 GMT", maxRetryAfter},
		"garbage":            {"soon", 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := parseRetryAfter(tc.in, now); got != tc.want {
				t.Fatalf("parseRetryAfter(%q) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	tests := map[string]struct {
		n          int
		retryAfter time.Duration
		rnd        float64
		want       time.Duration
	}{
		"first error, top of jitter":   {1, 0, 0.5, time.Second},
		"third error":                  {3, 0, 0.5, 4 * time.Second},
		"full jitter can be zero":      {5, 0, 0, 0},
		"capped at 15 minutes":         {30, 0, 0.5, 7*time.Minute + 30*time.Second},
		"huge count does not overflow": {1 << 30, 0, 0.999999, time.Duration(0.999999 * float64(15*time.Minute))},
		"zero count counts as one":     {0, 0, 0.5, time.Second},
		"retry-after wins when longer": {1, 2 * time.Minute, 0.5, 2 * time.Minute},
		"jitter wins when longer":      {10, time.Second, 0.5, 7*time.Minute + 30*time.Second},
		"rnd out of range is clamped":  {2, 0, 7, 4 * time.Second},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := Backoff(tc.n, tc.retryAfter, func() float64 { return tc.rnd })
			if got != tc.want {
				t.Fatalf("Backoff(%d, %s, %v) = %s, want %s", tc.n, tc.retryAfter, tc.rnd, got, tc.want)
			}
		})
	}
	for range 100 {
		if d := Backoff(4, 0, nil); d < 0 || d >= 16*time.Second {
			t.Fatalf("Backoff with the default source = %s, want [0, 16s)", d)
		}
	}
}
