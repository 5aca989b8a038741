package fakesource

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// This file fakes Google: the OAuth 2.0 token endpoint (JWT bearer grant,
// RS256 assertions verified against the registered service-account key)
// and the Play Developer API's reviews.list, which serves only reviews
// changed in the last seven days.

// PlayReview is one scripted Google Play review.
type PlayReview struct {
	ID       string
	Author   string
	Title    string // sent as "title\ttext", as the API does
	Text     string
	Rating   int
	Lang     string // reviewerLanguage ("in" is Indonesian on Android)
	Version  string
	ThumbsUp int
	// Modified is the review's lastModified; zero means when released.
	Modified time.Time
	// At is when the review appears, relative to the server's start.
	At time.Duration
	// Reply is the developer's answer (empty: none), posted at ReplyAt
	// after the start.
	Reply   string
	ReplyAt time.Duration
}

// GooglePlayServer is a fake oauth2.googleapis.com + androidpublisher.
type GooglePlayServer struct {
	Package string

	now   func() time.Time
	start time.Time
	scriptedFaults

	mu          sync.Mutex
	reviews     []PlayReview
	clientEmail string
	pub         *rsa.PublicKey
	tokens      map[string]time.Time // access token -> expiry
	grants      int
	rejected    []string
	served      map[string]int
}

// NewGooglePlay returns a fake serving reviews of pkg; its script starts
// now.
func NewGooglePlay(pkg string, now func() time.Time, reviews ...PlayReview) *GooglePlayServer {
	s := &GooglePlayServer{Package: pkg, now: now, start: now(), tokens: map[string]time.Time{}, served: map[string]int{}}
	s.Add(reviews...)
	return s
}

// Add scripts more reviews.
func (s *GooglePlayServer) Add(reviews ...PlayReview) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reviews = append(s.reviews, reviews...)
}

// SetServiceAccount registers the service account whose assertions the
// token endpoint accepts.
func (s *GooglePlayServer) SetServiceAccount(clientEmail string, pub *rsa.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clientEmail, s.pub = clientEmail, pub
}

// ServiceAccountKey makes a fresh RSA key, registers it and returns the
// JSON key file Google Cloud would give, with token_uri pointing at this
// fake (tokenURL is the server's URL plus "/token"). For the demo and
// tests only.
func (s *GooglePlayServer) ServiceAccountKey(tokenURL string) ([]byte, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	email := "pantau-reviews@kilat-express.iam.gserviceaccount.com"
	s.SetServiceAccount(email, &k.PublicKey)
	return json.MarshalIndent(map[string]string{
		"type":                        "service_account",
		"project_id":                  "kilat-express",
		"private_key_id":              "4f1c0a6d2b7e9f8a1c3d5e7f9a0b2c4d6e8f0a1b",
		"private_key":                 string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":                email,
		"client_id":                   "104200000000000000001",
		"auth_uri":                    "https://accounts.google.com/o/oauth2/auth",
		"token_uri":                   tokenURL,
		"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
	}, "", "  ")
}

// Grants is how many access tokens the token endpoint issued (a client
// that caches its token shows 1).
func (s *GooglePlayServer) Grants() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.grants
}

// Rejected lists why token or API requests were refused, oldest first.
func (s *GooglePlayServer) Rejected() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.rejected)
}

// Served returns the ids of the reviews served at least once.
func (s *GooglePlayServer) Served() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return servedIDs(s.served)
}

// ExpireTokens makes every issued access token invalid, as a revoked or
// expired one is.
func (s *GooglePlayServer) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

func (s *GooglePlayServer) reject(why string) {
	s.mu.Lock()
	s.rejected = append(s.rejected, why)
	s.mu.Unlock()
}

func (s *GooglePlayServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.scriptedFaults.serve(w, r) {
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/token":
		s.serveToken(w, r)
	case r.Method == http.MethodGet && len(parts) == 5 && parts[0] == "androidpublisher" && parts[1] == "v3" && parts[2] == "applications" && parts[4] == "reviews":
		s.serveReviews(w, r, parts[3])
	default:
		http.NotFound(w, r)
	}
}

// serveToken answers the JWT bearer grant (RFC 7523) as Google does.
func (s *GooglePlayServer) serveToken(w http.ResponseWriter, r *http.Request) {
	oauthErr := func(code, desc string) {
		s.reject(code + ": " + desc)
		fakeJSON(w, http.StatusBadRequest, map[string]string{"error": code, "error_description": desc})
	}
	if err := r.ParseForm(); err != nil {
		oauthErr("invalid_request", "bad form")
		return
	}
	if r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		oauthErr("unsupported_grant_type", "Invalid grant_type: "+r.PostForm.Get("grant_type"))
		return
	}
	header, claims, sig, input, err := splitJWS(r.PostForm.Get("assertion"))
	if err != nil {
		oauthErr("invalid_grant", "Invalid JWT: "+err.Error())
		return
	}
	s.mu.Lock()
	email, pub := s.clientEmail, s.pub
	s.mu.Unlock()
	digest := sha256.Sum256([]byte(input))
	if header["alg"] != "RS256" || pub == nil || rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) != nil {
		oauthErr("invalid_grant", "Invalid JWT Signature.")
		return
	}
	// The audience is the token URL the key file names; behind a path
	// prefix (http.StripPrefix) only its end is this handler's path.
	aud, _ := claims["aud"].(string)
	audOK := false
	if u, err := url.Parse(aud); err == nil {
		audOK = u.Host == r.Host && strings.HasSuffix(u.Path, r.URL.Path)
	}
	now := s.now().Unix()
	iat, exp := jwsNum(claims, "iat"), jwsNum(claims, "exp")
	switch {
	case claims["iss"] != email:
		oauthErr("invalid_grant", "Invalid issuer")
		return
	case !audOK:
		oauthErr("invalid_grant", fmt.Sprintf("Invalid JWT: audience %q is not this token endpoint", aud))
		return
	case claims["scope"] != "https://www.googleapis.com/auth/androidpublisher":
		oauthErr("invalid_scope", fmt.Sprintf("scope %v", claims["scope"]))
		return
	case exp <= now || iat > now+60 || exp-iat > 3600:
		oauthErr("invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.")
		return
	}
	b := make([]byte, 16)
	rand.Read(b)
	tok := "ya29.fake-" + hex.EncodeToString(b)
	s.mu.Lock()
	s.tokens[tok] = s.now().Add(time.Hour)
	s.grants++
	s.mu.Unlock()
	fakeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "expires_in": 3599, "token_type": "Bearer"})
}

func playError(w http.ResponseWriter, code int, status, msg string) {
	fakeJSON(w, code, map[string]any{"error": map[string]any{"code": code, "message": msg, "status": status}})
}

// serveReviews answers reviews.list: the last week's reviews with text,
// most recently changed first, paged with an opaque token.
func (s *GooglePlayServer) serveReviews(w http.ResponseWriter, r *http.Request, pkg string) {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	exp, ok := s.tokens[tok]
	s.mu.Unlock()
	if !ok || !s.now().Before(exp) {
		s.reject("invalid access token")
		playError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.")
		return
	}
	if pkg != s.Package {
		playError(w, http.StatusNotFound, "NOT_FOUND", "Package not found: "+pkg+".")
		return
	}
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("maxResults"))
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	offset := 0
	if t := q.Get("token"); t != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(t, "p"))
		if err != nil || !strings.HasPrefix(t, "p") {
			playError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid pagination token.")
			return
		}
		offset = n
	}
	now := s.now()
	elapsed := now.Sub(s.start)
	type item struct {
		rv       PlayReview
		modified time.Time
	}
	var list []item
	s.mu.Lock()
	for _, rv := range s.reviews {
		if rv.At > elapsed {
			continue
		}
		m := rv.Modified
		if m.IsZero() {
			m = s.start.Add(rv.At)
		}
		if now.Sub(m) > 7*24*time.Hour {
			continue // the API keeps one week
		}
		list = append(list, item{rv, m})
	}
	s.mu.Unlock()
	sort.SliceStable(list, func(i, j int) bool { return list[i].modified.After(list[j].modified) })
	lo, hi := min(offset, len(list)), min(offset+limit, len(list))
	ts := func(t time.Time) map[string]any {
		return map[string]any{"seconds": strconv.FormatInt(t.Unix(), 10), "nanos": t.Nanosecond()}
	}
	reviews := []any{}
	for _, it := range list[lo:hi] {
		rv := it.rv
		text := rv.Text
		if rv.Title != "" {
			text = rv.Title + "\t" + rv.Text
		}
		comments := []any{map[string]any{"userComment": map[string]any{
			"text": text, "lastModified": ts(it.modified), "starRating": rv.Rating, "reviewerLanguage": rv.Lang,
			"device": "a52q", "androidOsVersion": 34, "appVersionCode": 420, "appVersionName": rv.Version,
			"thumbsUpCount": rv.ThumbsUp, "thumbsDownCount": 0,
			"deviceMetadata": map[string]any{"productName": "a52q (Galaxy A52)", "manufacturer": "Samsung", "ramMb": 6144},
		}}}
		if rv.Reply != "" && elapsed >= rv.ReplyAt {
			comments = append(comments, map[string]any{"developerComment": map[string]any{"text": rv.Reply, "lastModified": ts(s.start.Add(rv.ReplyAt))}})
		}
		reviews = append(reviews, map[string]any{"reviewId": rv.ID, "authorName": rv.Author, "comments": comments})
		s.mu.Lock()
		s.served[rv.ID]++
		s.mu.Unlock()
	}
	doc := map[string]any{"reviews": reviews}
	if hi < len(list) {
		doc["tokenPagination"] = map[string]string{"nextPageToken": "p" + strconv.Itoa(hi)}
	}
	fakeJSON(w, http.StatusOK, doc)
}

// DemoPlayPackage is the demo app's package name.
const DemoPlayPackage = "com.kilatexpress.app"

// GooglePlayDemo scripts Kilat Express's Play reviews: an Indonesian
// one-star review the developer answers, an English two-star one nobody
// answers, praise. Call ServiceAccountKey(serverURL+"/token") for the key
// file the source needs.
func GooglePlayDemo(now func() time.Time) *GooglePlayServer {
	start := now()
	sec := func(n int) time.Duration { return time.Duration(n) * time.Second }
	return NewGooglePlay(DemoPlayPackage, now,
		PlayReview{ID: "gp:AOqpTOkilat0001", Author: "Rudi Hartono", Rating: 5, Lang: "in", Version: "4.2.0", ThumbsUp: 3,
			Text: "Kurirnya ramah, paket sampai sehari lebih cepat. Mantap Kilat Express!", Modified: start.Add(-30 * time.Hour)},
		PlayReview{ID: "gp:AOqpTOkilat0002", Author: "Mega Putri", Rating: 1, Lang: "in", Version: "4.2.1", ThumbsUp: 12, At: sec(5),
			Title: "Kurir gak datang", Text: "Udah 3x jadwal pickup kurir gak pernah datang, CS gak bisa dihubungi. Kecewa bgt sama Kilat Express",
			Reply:   "Halo Kak Mega, mohon maaf atas pengalaman ini. Kami sudah menjadwalkan ulang pickup besok pukul 09.00 dan kurir akan menghubungi Kakak. Terima kasih.",
			ReplyAt: sec(14)},
		PlayReview{ID: "gp:AOqpTOkilat0003", Author: "James Lee", Rating: 2, Lang: "en", Version: "4.2.1", ThumbsUp: 1, At: sec(10),
			Text: "Delivery estimate keeps changing and the refund for my failed COD order never arrived."},
	)
}
