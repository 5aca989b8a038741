package notify

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/store/secret"
)

// TestStatusPolicy runs the one policy every HTTP notifier shares through
// the generic webhook (the same poster serves all of them).
func TestStatusPolicy(t *testing.T) {
	c := newFakeClock()
	date := c.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	cases := map[string]struct {
		code      int
		header    http.Header
		body      string
		wantErr   bool
		wantRetry bool
		wantAfter time.Duration
		wantText  string
	}{
		"200 ok":                    {code: 200},
		"201 created":               {code: 201},
		"202 accepted":              {code: 202},
		"204 no content":            {code: 204},
		"301 not followed":          {code: 301, header: http.Header{"Location": {"https://elsewhere.example/"}}, wantErr: true, wantText: "redirect"},
		"307 not followed":          {code: 307, header: http.Header{"Location": {"/other"}}, wantErr: true, wantText: "redirect"},
		"400 permanent with body":   {code: 400, body: "  invalid_payload:\n missing text  ", wantErr: true, wantText: "400 Bad Request: invalid_payload: missing text"},
		"401 permanent":             {code: 401, body: "unauthorized", wantErr: true, wantText: "401"},
		"403 permanent":             {code: 403, body: "action_prohibited", wantErr: true, wantText: "action_prohibited"},
		"404 permanent":             {code: 404, body: "no_service", wantErr: true, wantText: "no_service"},
		"410 permanent":             {code: 410, body: "channel_is_archived", wantErr: true, wantText: "channel_is_archived"},
		"413 permanent":             {code: 413, wantErr: true, wantText: "413"},
		"429 retry-after seconds":   {code: 429, header: http.Header{"Retry-After": {"120"}}, wantErr: true, wantRetry: true, wantAfter: 120 * time.Second},
		"429 retry-after date":      {code: 429, header: http.Header{"Retry-After": {date}}, wantErr: true, wantRetry: true, wantAfter: 90 * time.Second},
		"429 without retry-after":   {code: 429, wantErr: true, wantRetry: true},
		"500 retry":                 {code: 500, body: "oops", wantErr: true, wantRetry: true, wantText: "500 Internal Server Error: oops"},
		"502 retry":                 {code: 502, wantErr: true, wantRetry: true},
		"503 retry with after":      {code: 503, header: http.Header{"Retry-After": {"30"}}, wantErr: true, wantRetry: true, wantAfter: 30 * time.Second},
		"504 retry":                 {code: 504, wantErr: true, wantRetry: true},
		"long body trimmed":         {code: 400, body: strings.Repeat("é", 5000), wantErr: true, wantText: "…"},
		"control chars in the body": {code: 400, body: "bad\x1b[31m\u202eevil", wantErr: true, wantText: "bad [31m evil"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.header {
					w.Header()[k] = v
				}
				w.WriteHeader(tc.code)
				w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			n := build(t, ReceiverConfig{Name: "w", Kind: KindWebhook, Webhook: &WebhookConfig{URL: secret.New(srv.URL + "/h"), Secret: secret.New("0123456789abcdef")}}, Deps{Now: c.Now})
			retry, err := n.Notify(context.Background(), testMessage(c, Trigger))
			if (err != nil) != tc.wantErr || retry != tc.wantRetry {
				t.Fatalf("retry=%v err=%v; want err=%v retry=%v", retry, err, tc.wantErr, tc.wantRetry)
			}
			if err == nil {
				return
			}
			if got := RetryAfterOf(err); got != tc.wantAfter {
				t.Errorf("retry after %v, want %v", got, tc.wantAfter)
			}
			if !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("error %q lacks %q", err, tc.wantText)
			}
			var se *StatusError
			if !errors.As(err, &se) || se.Code != tc.code || len(se.Body) > maxBodyShown+len("…") {
				t.Errorf("status error %#v", se)
			}
		})
	}
}

func TestNetworkErrorsRetry(t *testing.T) {
	c := newFakeClock()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the body: only then does the server notice the client
		// going away and cancel r.Context().
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer hang.Close()
	defer close(release)
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
	defer tlsSrv.Close()
	for name, u := range map[string]string{
		"connection refused": closedURL,
		"timeout":            hang.URL,
		"untrusted tls":      tlsSrv.URL,
	} {
		t.Run(name, func(t *testing.T) {
			n := build(t, ReceiverConfig{Name: "w", Kind: KindWebhook, Webhook: &WebhookConfig{URL: secret.New(u + "/h"), Secret: secret.New("0123456789abcdef")}}, Deps{Now: c.Now})
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			retry, err := n.Notify(ctx, testMessage(c, Trigger))
			if err == nil || !retry {
				t.Fatalf("retry=%v err=%v, want a retryable error", retry, err)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                               0,
		"0":                              0,
		"-5":                             0,
		"17":                             17 * time.Second,
		" 3 ":                            3 * time.Second,
		"99999999999999999":              7 * 24 * time.Hour,
		"soon":                           0,
		"Mon, 02 Nov 2026 09:01:00 GMT":  time.Minute,
		"Mon, 02 Nov 2026 08:59:00 GMT":  0,
		"Monday, 02-Nov-26 09:00:30 GMT": 30 * time.Second,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestBackoffFullJitterCappedAndRetryAfter(t *testing.T) {
	d := NewDispatcher(nil, nil, nil, nil, DispatcherOptions{Rand: func() float64 { return 0.999999 }})
	prev := time.Duration(0)
	for attempt := 1; attempt <= 20; attempt++ {
		got := d.backoff(attempt, 0)
		if got > 5*time.Minute || got < prev {
			t.Fatalf("attempt %d: %v (prev %v)", attempt, got, prev)
		}
		prev = got
	}
	if prev < 4*time.Minute {
		t.Fatalf("cap not reached: %v", prev)
	}
	if got := d.backoff(1, 0); got > 2*time.Second {
		t.Fatalf("first backoff %v > base", got)
	}
	d.o.Rand = func() float64 { return 0 }
	if got := d.backoff(3, 0); got != 0 {
		t.Fatalf("full jitter may wait 0, got %v", got)
	}
	if got := d.backoff(1, 2*time.Minute); got != 2*time.Minute {
		t.Fatalf("Retry-After not honoured: %v", got)
	}
	if got := d.backoff(1, 48*time.Hour); got != time.Hour {
		t.Fatalf("Retry-After not capped: %v", got)
	}
}
