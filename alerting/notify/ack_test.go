package notify

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/store/secret"
)

func TestAckSignVerify(t *testing.T) {
	c := newFakeClock()
	s := testSigner(c)
	id := testAlert().ID
	exp, sig := s.Sign(id, time.Hour)
	if exp != c.Now().Add(time.Hour).Unix() || sig == "" {
		t.Fatalf("sign: %d %q", exp, sig)
	}
	if err := s.Verify(id, exp, sig); err != nil {
		t.Fatalf("fresh link: %v", err)
	}
	cases := map[string]struct {
		id   string
		exp  int64
		sig  string
		want error
	}{
		"other alert":       {id + "x", exp, sig, ErrAckSignature},
		"longer expiry":     {id, exp + 3600, sig, ErrAckSignature},
		"flipped signature": {id, exp, flip(sig), ErrAckSignature},
		"not base64":        {id, exp, "!!!", ErrAckSignature},
		"empty signature":   {id, exp, "", ErrAckSignature},
	}
	for name, tc := range cases {
		if err := s.Verify(tc.id, tc.exp, tc.sig); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	other := &AckSigner{Key: secret.New(strings.Repeat("o", 32)), Now: c.Now}
	if err := other.Verify(id, exp, sig); !errors.Is(err, ErrAckSignature) {
		t.Errorf("other key: %v", err)
	}
	if err := (&AckSigner{Now: c.Now}).Verify(id, exp, sig); !errors.Is(err, ErrAckSignature) {
		t.Errorf("no key: %v", err)
	}
	c.Advance(time.Hour)
	if err := s.Verify(id, exp, sig); !errors.Is(err, ErrAckExpired) {
		t.Errorf("expired: %v", err)
	}
}

func flip(s string) string {
	b := []byte(s)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}

func TestAckHandler(t *testing.T) {
	c := newFakeClock()
	s := testSigner(c)
	var acked []string
	ackErr := error(nil)
	h := AckHandler(s.Verify, func(id, by string) error {
		if ackErr != nil {
			return ackErr
		}
		acked = append(acked, id+" by "+by)
		return nil
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	id := `viral|rss:<img src=x onerror=alert(1)>`
	link := s.Link(srv.URL, id, time.Hour)
	u, _ := url.Parse(link)
	if u.Path != "/ack" || u.Query().Get("alert") != id {
		t.Fatalf("link %s", link)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	// A GET, as a link unfurler or mail scanner makes, only shows the
	// confirmation page.
	resp, err := noRedirect.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(acked) != 0 {
		t.Fatalf("GET: %d, acked %v", resp.StatusCode, acked)
	}
	if strings.Contains(string(page), "<img") || !strings.Contains(string(page), "&lt;img") || !strings.Contains(string(page), `method="post"`) {
		t.Errorf("confirmation page not escaped or lacks the form:\n%s", page)
	}
	for _, hdr := range []string{"Content-Security-Policy", "Referrer-Policy", "X-Frame-Options"} {
		if resp.Header.Get(hdr) == "" {
			t.Errorf("missing %s", hdr)
		}
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("cache-control %q", resp.Header.Get("Cache-Control"))
	}

	form := func(mod func(url.Values)) url.Values {
		v := u.Query()
		v.Set("by", "Rina <b>")
		if mod != nil {
			mod(v)
		}
		return v
	}
	post := func(v url.Values) (int, string) {
		resp, err := noRedirect.PostForm(srv.URL+"/ack", v)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := post(form(nil)); code != 200 || len(acked) != 1 || acked[0] != id+" by Rina <b> (ack link)" || strings.Contains(body, "<b> (ack") {
		t.Fatalf("POST: %d %v\n%s", code, acked, body)
	}
	if code, _ := post(form(func(v url.Values) { v.Set("sig", flip(v.Get("sig"))) })); code != http.StatusForbidden {
		t.Errorf("tampered sig: %d", code)
	}
	if code, _ := post(form(func(v url.Values) { v.Set("alert", "other|x") })); code != http.StatusForbidden {
		t.Errorf("tampered alert: %d", code)
	}
	if code, _ := post(form(func(v url.Values) { v.Del("exp") })); code != http.StatusBadRequest {
		t.Errorf("no exp: %d", code)
	}
	// Query parameters do not count for a POST: only the form does.
	resp, err = noRedirect.Post(link, "application/x-www-form-urlencoded", strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || len(acked) != 1 {
		t.Errorf("POST with the query only: %d", resp.StatusCode)
	}
	ackErr = fmt.Errorf("x: %w", store.ErrConflict)
	if code, _ := post(form(nil)); code != http.StatusConflict {
		t.Errorf("resolved alert: %d", code)
	}
	ackErr = fmt.Errorf("x: %w", store.ErrNotFound)
	if code, _ := post(form(nil)); code != http.StatusNotFound {
		t.Errorf("unknown alert: %d", code)
	}
	ackErr = errors.New("disk on fire at /var/lib/pantau")
	if code, body := post(form(nil)); code != 500 || strings.Contains(body, "/var/lib") {
		t.Errorf("internal error: %d %s", code, body)
	}
	req, _ := http.NewRequest(http.MethodDelete, link, nil)
	if resp, err := noRedirect.Do(req); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("DELETE: %v %v", resp, err)
	}
	c.Advance(2 * time.Hour)
	resp, _ = noRedirect.Get(link)
	resp.Body.Close()
	if resp.StatusCode != http.StatusGone {
		t.Errorf("expired GET: %d", resp.StatusCode)
	}
	ackErr = nil
	if code, _ := post(form(nil)); code != http.StatusGone || len(acked) != 1 {
		t.Errorf("expired POST: %d %v", code, acked)
	}
}
