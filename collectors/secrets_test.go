package collectors

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/pantau/pantau/store/secret"
)

// TestNoSecretsInErrors runs a source whose URL carries credentials and a
// token through every way a poll can fail, and looks for the secrets in the
// returned error, the stored source state and the logs.
func TestNoSecretsInErrors(t *testing.T) {
	const (
		user   = "pantauuser"
		pass   = "hunter2secret"
		token  = "tok_SECRET_abc123"
		bearer = "bearer_SECRET_xyz789"
	)
	secrets := []string{user, pass, token, bearer, "cGFudGF1dXNlcjpodW50ZXIyc2VjcmV0" /* base64 user:pass */}

	echo := func(w http.ResponseWriter, r *http.Request, code int) {
		// A careless server echoes everything it was sent.
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(code)
		fmt.Fprintf(w, "bad request %s %s auth=%s query=%s", r.URL.String(), r.RequestURI, r.Header.Get("Authorization"), r.URL.Query().Get("token"))
		if u, p, ok := r.BasicAuth(); ok {
			fmt.Fprintf(w, " user=%s pass=%s", u, p)
		}
	}
	tests := map[string]struct {
		handler http.HandlerFunc
		closed  bool // the server is gone: connection refused
		timeout time.Duration
		maxBody int64
	}{
		"500 echoing the request": {handler: func(w http.ResponseWriter, r *http.Request) { echo(w, r, 500) }},
		"429 echoing the request": {handler: func(w http.ResponseWriter, r *http.Request) { echo(w, r, 429) }},
		"401 echoing the request": {handler: func(w http.ResponseWriter, r *http.Request) { echo(w, r, 401) }},
		"malformed feed": {handler: func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "<rss><channel><title>%s</title>", r.URL.Query().Get("token"))
		}},
		"too large": {maxBody: 16, handler: func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, strings.Repeat("x", 100))
		}},
		"redirect loop": {handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.String(), http.StatusFound)
		}},
		"redirect to another scheme": {handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "ftp://"+user+":"+pass+"@example.com/?token="+token, http.StatusFound)
		}},
		"connection refused": {closed: true},
		"timeout": {timeout: 20 * time.Millisecond, handler: func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}},
	}
	for name, tc := range tests {
		for _, withBearer := range []bool{false, true} {
			if withBearer {
				name += " with a bearer token"
			}
			t.Run(name, func(t *testing.T) {
				clk := newTestClock()
				st := openStore(t, clk)
				logger, logs := testLogger()
				h := tc.handler
				if h == nil {
					h = func(http.ResponseWriter, *http.Request) {}
				}
				srv := httptest.NewServer(h)
				if tc.closed {
					srv.Close()
				} else {
					defer srv.Close()
				}
				u, _ := url.Parse(srv.URL)
				u.User = url.UserPassword(user, pass)
				u.Path = "/private/feed"
				u.RawQuery = "token=" + token + "&format=rss"

				f := NewFetcher(FetcherOptions{Rate: rate.Inf, Now: clk.Now, MaxBodyBytes: tc.maxBody})
				cfg := rssSource("private", u.String())
				if withBearer {
					cfg.Token = secret.New(bearer)
				}
				r := newTestRSS(t, cfg, f)
				s := NewScheduler(st, storeSink{st}, logger, clk.Now)
				if err := s.Add(r, "", tc.timeout); err != nil {
					t.Fatal(err)
				}
				err := s.PollNow(context.Background(), "private")
				if err == nil {
					t.Fatal("poll succeeded")
				}
				got := state(t, st, "private")
				if got.LastErrorText == "" {
					t.Fatal("no error recorded")
				}
				cfgLog := fmt.Sprint(cfg.LogValue())
				for _, sec := range secrets {
					for where, text := range map[string]string{"error": err.Error(), "source state": got.LastErrorText, "logs": logs.String(), "config log value": cfgLog} {
						if strings.Contains(text, sec) {
							t.Errorf("%s leaks %q: %s", where, sec, text)
						}
					}
				}
				t.Logf("recorded: %s", got.LastErrorText)
				if !strings.Contains(got.LastErrorText, "/private/feed") {
					t.Errorf("error text %q no longer says which URL failed", got.LastErrorText)
				}
			})
		}
	}
}
