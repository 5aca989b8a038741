package ui

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
)

// echoHook stands in for a self-authenticating handler such as the inbound
// webhook: it answers with the path value it was routed with.
var echoHook = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	w.Write([]byte(`{"source":"` + r.PathValue("source") + `","method":"` + r.Method + `","body":"` + string(body) + `"}`))
})

func TestWithHandlerSkipsBrowserGuardsOnlyForItsRoutes(t *testing.T) {
	st := newTestStore(t)
	putAlert(t, st, "a1", store.AlertOpen, 0.8, time.Now())
	h := New(Config{}, st, testLogger(t), WithHandler("/hooks/{source}", echoHook)).Handler()
	crossSite := map[string]string{"Origin": "https://tool.example", "Sec-Fetch-Site": "cross-site"}
	foreignHost := map[string]string{"Host": "pantau.example.com"}
	tests := map[string]struct {
		method, path string
		header       map[string]string
		status       int
		body         string // substring of the response body
	}{
		"webhook from a tool":              {"POST", "/hooks/crm", nil, 202, `"source":"crm"`},
		"webhook from another origin":      {"POST", "/hooks/crm", crossSite, 202, `"method":"POST"`},
		"webhook through a proxy's Host":   {"POST", "/hooks/crm", foreignHost, 202, `"source":"crm"`},
		"the handler sees other methods":   {"GET", "/hooks/crm", nil, 202, `"method":"GET"`},
		"dashboard POST still guarded":     {"POST", "/api/alerts/a1/ack", crossSite, 403, "cross-origin request refused"},
		"dashboard Host check still there": {"GET", "/api/mentions", foreignHost, 421, "host not served here"},
		"dashboard still served":           {"GET", "/api/mentions", nil, 200, `"mentions"`},
		"unmounted path under the prefix":  {"POST", "/hooks/crm/extra", crossSite, 403, "cross-origin"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			w := call(t, h, tc.method, tc.path, "x", tc.header)
			if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.body) {
				t.Fatalf("status %d body %s, want %d with %q", w.Code, w.Body, tc.status, tc.body)
			}
			hd := w.Header()
			if hd.Get("X-Content-Type-Options") != "nosniff" || hd.Get("X-Frame-Options") != "DENY" ||
				hd.Get("Referrer-Policy") != "no-referrer" || hd.Get("Cross-Origin-Resource-Policy") != "same-origin" {
				t.Errorf("security headers missing: %v", hd)
			}
			if strings.HasPrefix(tc.path, "/hooks/crm") && tc.status == 202 {
				if csp := hd.Get("Content-Security-Policy"); csp != "default-src 'none'; frame-ancestors 'none'" {
					t.Errorf("CSP %q on a mounted handler", csp)
				}
			}
		})
	}
}

func TestWithHandlerConflictPanicsAtNew(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("mounting over a dashboard route did not panic")
		}
	}()
	New(Config{}, newTestStore(t), testLogger(t), WithHandler("GET /api/mentions", echoHook))
}
