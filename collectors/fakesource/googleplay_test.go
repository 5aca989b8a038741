package fakesource

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestGooglePlayTokenEndpoint(t *testing.T) {
	c := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	s := GooglePlayDemo(c.Now)
	srv := httptest.NewServer(s)
	defer srv.Close()
	if _, err := s.ServiceAccountKey(srv.URL + "/token"); err != nil {
		t.Fatal(err)
	}
	// An assertion signed with a key Google does not know is refused.
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	s.SetServiceAccount("pantau-reviews@kilat-express.iam.gserviceaccount.com", &other.PublicKey)
	resp, err := http.PostForm(srv.URL+"/token", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {"a.b.c"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || s.Grants() != 0 || len(s.Rejected()) != 1 {
		t.Fatalf("status %d, grants %d, rejected %v", resp.StatusCode, s.Grants(), s.Rejected())
	}
	// Reviews need a token.
	r, body := fakeGet(t, srv.URL+"/androidpublisher/v3/applications/"+DemoPlayPackage+"/reviews", nil)
	if r.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "UNAUTHENTICATED") {
		t.Errorf("no token: %d %s", r.StatusCode, body)
	}
}
