package fakesource

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
)

func fakeGet(t *testing.T, url string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// es256 signs a token the way App Store Connect expects.
func es256(t *testing.T, k *ecdsa.PrivateKey, header, claims map[string]any) string {
	t.Helper()
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	in := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	d := sha256.Sum256([]byte(in))
	r, s, err := ecdsa.Sign(rand.Reader, k, d[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestAppStoreFeedShape(t *testing.T) {
	c := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	s := AppStoreDemo(c.Now)
	srv := httptest.NewServer(s)
	defer srv.Close()
	c.Add(time.Minute)
	u := srv.URL + "/id/rss/customerreviews/page=1/id=" + DemoAppStoreID + "/sortby=mostrecent/xml"
	resp, body := fakeGet(t, u, nil)
	feed, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, body)
	}
	// The app's metadata first, then reviews newest first.
	if len(feed.Items) != 4 || len(feed.Items[0].Extensions["im"]["rating"]) != 0 || feed.Items[1].GUID != "11000000005" {
		t.Fatalf("items: %d, first %+v", len(feed.Items), feed.Items[0].Extensions["im"])
	}
	if r := feed.Items[1].Extensions["im"]["rating"]; len(r) == 0 || r[0].Value != "5" {
		t.Errorf("im:rating = %+v", r)
	}
	if !strings.Contains(string(body), `rel="last"`) {
		t.Error("no rel=last link")
	}
	if resp, _ := fakeGet(t, u, http.Header{"If-None-Match": {resp.Header.Get("ETag")}}); resp.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET = %d", resp.StatusCode)
	}
}

func TestAppStoreConnectTokens(t *testing.T) {
	c := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	s := AppStoreDemo(c.Now)
	srv := httptest.NewServer(s)
	defer srv.Close()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	s.SetConnectKey("iss-1", "KEY1234567", &k.PublicKey)
	c.Add(time.Minute)
	now := c.Now().Unix()
	header := map[string]any{"alg": "ES256", "kid": "KEY1234567", "typ": "JWT"}
	claims := func(iat, exp int64) map[string]any {
		return map[string]any{"iss": "iss-1", "aud": "appstoreconnect-v1", "iat": iat, "exp": exp}
	}
	tests := map[string]struct {
		token string
		code  int
	}{
		"valid":          {es256(t, k, header, claims(now, now+900)), http.StatusOK},
		"other key":      {es256(t, other, header, claims(now, now+900)), http.StatusUnauthorized},
		"expired":        {es256(t, k, header, claims(now-1200, now-60)), http.StatusUnauthorized},
		"too long-lived": {es256(t, k, header, claims(now, now+3600)), http.StatusUnauthorized},
		"none":           {"", http.StatusUnauthorized},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp, body := fakeGet(t, srv.URL+"/v1/apps/"+DemoAppStoreID+"/customerReviews?include=response&exists%5BpublishedResponse%5D=true",
				http.Header{"Authorization": {"Bearer " + tc.token}})
			if resp.StatusCode != tc.code {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.code, body)
			}
			if tc.code == http.StatusOK && !strings.Contains(string(body), `"customerReviewResponses"`) {
				t.Errorf("no included response: %s", body)
			}
		})
	}
}
