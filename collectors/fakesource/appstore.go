package fakesource

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// This file fakes Apple: the iTunes customer-reviews Atom feed (per
// storefront, 10 pages of 50, the app's metadata entry first, im:
// elements) and the App Store Connect API's customerReviews list (JSON:API
// with included responses, ES256 bearer tokens verified against the
// registered public key).

// AppStoreReview is one scripted App Store review.
type AppStoreReview struct {
	// ID is the review id the public feed shows (numeric).
	ID string
	// Country is the storefront ("id", "us").
	Country   string
	Author    string
	Title     string
	Text      string
	Rating    int
	Version   string
	VoteSum   int
	VoteCount int
	// Updated is the review's date; zero means when it is released.
	Updated time.Time
	// At is when the review appears, relative to the server's start.
	At time.Duration
	// Response is the developer's answer (empty: none), published at
	// ResponseAt after the start. ResponsePending leaves it unpublished
	// (state PENDING_PUBLISH).
	Response        string
	ResponseAt      time.Duration
	ResponsePending bool
}

// AppStoreServer is a fake itunes.apple.com + api.appstoreconnect.apple.com.
type AppStoreServer struct {
	AppID string
	// PageSize is the reviews per feed page (Apple: 50).
	PageSize int

	now   func() time.Time
	start time.Time
	scriptedFaults

	mu       sync.Mutex
	reviews  []AppStoreReview
	issuer   string
	keyID    string
	pub      *ecdsa.PublicKey
	tokens   map[string]bool
	rejected []string
	served   map[string]int
}

// NewAppStore returns a fake serving reviews of appID; its script starts
// now.
func NewAppStore(appID string, now func() time.Time, reviews ...AppStoreReview) *AppStoreServer {
	s := &AppStoreServer{AppID: appID, PageSize: 50, now: now, start: now(), tokens: map[string]bool{}, served: map[string]int{}}
	s.Add(reviews...)
	return s
}

// Add scripts more reviews.
func (s *AppStoreServer) Add(reviews ...AppStoreReview) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reviews = append(s.reviews, reviews...)
}

// SetConnectKey registers the App Store Connect API key whose tokens the
// fake accepts.
func (s *AppStoreServer) SetConnectKey(issuerID, keyID string, pub *ecdsa.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.issuer, s.keyID, s.pub = issuerID, keyID, pub
}

// NewConnectKey makes a fresh P-256 key, registers it and returns what an
// operator downloads from App Store Connect: the issuer id, the key id and
// the .p8 file (PKCS #8 PEM). For the demo and tests only.
func (s *AppStoreServer) NewConnectKey() (issuerID, keyID string, p8 []byte, err error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", "", nil, err
	}
	issuerID, keyID = "69a6de7e-1b2c-47e3-e053-5b8c7c11a4d1", "KILAT2X9R4"
	s.SetConnectKey(issuerID, keyID, &k.PublicKey)
	return issuerID, keyID, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ConnectTokens is how many distinct valid tokens the Connect API saw (a
// client that caches its token shows 1).
func (s *AppStoreServer) ConnectTokens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tokens)
}

// Rejected lists why Connect requests were refused, oldest first.
func (s *AppStoreServer) Rejected() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.rejected)
}

// Served returns the ids of the reviews served at least once.
func (s *AppStoreServer) Served() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return servedIDs(s.served)
}

func (s *AppStoreServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.scriptedFaults.serve(w, r) {
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == http.MethodGet && len(parts) == 7 && parts[1] == "rss" && parts[2] == "customerreviews" && parts[6] == "xml":
		s.serveFeed(w, r, parts)
	case r.Method == http.MethodGet && len(parts) == 4 && parts[0] == "v1" && parts[1] == "apps" && parts[3] == "customerReviews":
		s.serveConnect(w, r, parts[2])
	default:
		http.NotFound(w, r)
	}
}

// released returns the reviews out now, newest first. s.mu held.
func (s *AppStoreServer) released() []AppStoreReview {
	elapsed := s.now().Sub(s.start)
	var out []AppStoreReview
	for _, rv := range s.reviews {
		if rv.At <= elapsed {
			if rv.Updated.IsZero() {
				rv.Updated = s.start.Add(rv.At)
			}
			out = append(out, rv)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Updated.Equal(out[j].Updated) {
			return out[i].Updated.After(out[j].Updated)
		}
		return out[i].ID > out[j].ID
	})
	return out
}

// serveFeed answers /{cc}/rss/customerreviews/page={n}/id={app}/sortby=mostrecent/xml.
func (s *AppStoreServer) serveFeed(w http.ResponseWriter, r *http.Request, parts []string) {
	cc := parts[0]
	page, err := strconv.Atoi(strings.TrimPrefix(parts[3], "page="))
	if err != nil || !strings.HasPrefix(parts[3], "page=") || page < 1 {
		http.Error(w, "bad page", http.StatusBadRequest)
		return
	}
	if parts[4] != "id="+s.AppID {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	var all []AppStoreReview
	for _, rv := range s.released() {
		if rv.Country == cc {
			all = append(all, rv)
		}
	}
	size := max(s.PageSize, 1)
	lastPage := min(max((len(all)+size-1)/size, 1), 10)
	var pageReviews []AppStoreReview
	if page <= 10 {
		lo, hi := min((page-1)*size, len(all)), min(page*size, len(all))
		pageReviews = all[lo:hi]
	}
	etag := `"empty"`
	if len(all) > 0 {
		etag = fmt.Sprintf(`"%d-%d-%s"`, page, len(all), all[0].ID)
	}
	if r.Header.Get("If-None-Match") == etag {
		s.mu.Unlock()
		w.WriteHeader(http.StatusNotModified)
		return
	}
	for _, rv := range pageReviews {
		s.served[rv.ID]++
	}
	s.mu.Unlock()

	pageURL := func(n int) string {
		return fmt.Sprintf("https://itunes.apple.com/%s/rss/customerreviews/page=%d/id=%s/sortby=mostrecent/xml?urlDesc=/customerreviews/id=%s/sortby=mostrecent/xml", cc, n, s.AppID, s.AppID)
	}
	var b strings.Builder
	b.WriteString(xml.Header)
	b.WriteString(`<feed xmlns:im="http://itunes.apple.com/rss" xmlns="http://www.w3.org/2005/Atom" xml:lang="` + xmlEsc(cc) + `">` + "\n")
	fmt.Fprintf(&b, "  <id>%s</id>\n  <title>iTunes Store: Customer Reviews</title>\n  <updated>%s</updated>\n", xmlEsc(pageURL(page)), s.now().UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "  <link rel=\"alternate\" type=\"text/html\" href=\"https://apps.apple.com/WebObjects/MZStore.woa/wa/viewGrouping?cc=%s&amp;id=1000\"/>\n", xmlEsc(cc))
	fmt.Fprintf(&b, "  <link rel=\"self\" href=\"%s\"/>\n  <link rel=\"first\" href=\"%s\"/>\n  <link rel=\"last\" href=\"%s\"/>\n", xmlEsc(pageURL(page)), xmlEsc(pageURL(1)), xmlEsc(pageURL(lastPage)))
	if page > 1 {
		fmt.Fprintf(&b, "  <link rel=\"previous\" href=\"%s\"/>\n", xmlEsc(pageURL(page-1)))
	}
	if page < lastPage {
		fmt.Fprintf(&b, "  <link rel=\"next\" href=\"%s\"/>\n", xmlEsc(pageURL(page+1)))
	}
	b.WriteString("  <icon>http://itunes.apple.com/favicon.ico</icon>\n  <author><name>iTunes Store</name><uri>http://www.apple.com/itunes/</uri></author>\n")
	// Older feeds put the app itself first; clients must skip it.
	fmt.Fprintf(&b, `  <entry>
    <updated>%[1]s</updated>
    <id im:id="%[2]s" im:bundleId="com.kilatexpress.app">https://apps.apple.com/%[3]s/app/kilat-express/id%[2]s?uo=2</id>
    <title>Kilat Express - PT Kilat Express Nusantara</title>
    <im:name>Kilat Express</im:name>
    <link rel="alternate" type="text/html" href="https://apps.apple.com/%[3]s/app/kilat-express/id%[2]s?uo=2"/>
    <im:contentType term="Application" label="Application"/>
    <im:artist href="https://apps.apple.com/%[3]s/developer/kilat-express/id1500000000?uo=2">PT Kilat Express Nusantara</im:artist>
    <im:price amount="0.00" currency="IDR">Get</im:price>
    <im:releaseDate label="1 March 2021">2021-03-01T00:00:00-07:00</im:releaseDate>
  </entry>
`, s.start.UTC().Format(time.RFC3339), xmlEsc(s.AppID), xmlEsc(cc))
	for _, rv := range pageReviews {
		fmt.Fprintf(&b, `  <entry>
    <updated>%s</updated>
    <id>%s</id>
    <title>%s</title>
    <content type="text">%s</content>
    <link rel="related" href="https://itunes.apple.com/%s/review?id=%s&amp;type=Purple%%20Software"/>
    <im:voteSum>%d</im:voteSum>
    <im:contentType term="Application" label="Application"/>
    <im:voteCount>%d</im:voteCount>
    <im:rating>%d</im:rating>
    <im:version>%s</im:version>
    <author><name>%s</name><uri>https://itunes.apple.com/%s/reviews/id%d</uri><label/></author>
    <content type="html">%s</content>
  </entry>
`, rv.Updated.In(time.FixedZone("PDT", -7*3600)).Format(time.RFC3339), xmlEsc(rv.ID), xmlEsc(rv.Title), xmlEsc(rv.Text), xmlEsc(cc), xmlEsc(s.AppID),
			rv.VoteSum, rv.VoteCount, rv.Rating, xmlEsc(rv.Version), xmlEsc(rv.Author), xmlEsc(cc), 1000000+len(rv.Author),
			xmlEsc(`<table border="0" width="100%"><tr><td>`+xmlEsc(rv.Text)+`</td></tr></table>`))
	}
	b.WriteString("</feed>\n")
	w.Header().Set("Content-Type", "text/xml; charset=UTF-8")
	w.Header().Set("ETag", etag)
	w.Write([]byte(b.String()))
}

// connectReviewID is the id App Store Connect gives a review: not the
// feed's id, as with Apple.
func connectReviewID(feedID string) string {
	sum := sha256.Sum256([]byte("review:" + feedID))
	return fmt.Sprintf("%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])
}

func connectResponseID(feedID string) string {
	sum := sha256.Sum256([]byte("response:" + feedID))
	return fmt.Sprintf("%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])
}

var ascTerritories = map[string]string{"id": "IDN", "us": "USA", "gb": "GBR", "sg": "SGP", "my": "MYS", "au": "AUS", "jp": "JPN"}

// serveConnect answers GET /v1/apps/{id}/customerReviews.
func (s *AppStoreServer) serveConnect(w http.ResponseWriter, r *http.Request, appID string) {
	if why := s.checkConnectToken(r.Header.Get("Authorization")); why != "" {
		s.mu.Lock()
		s.rejected = append(s.rejected, why)
		s.mu.Unlock()
		fakeJSON(w, http.StatusUnauthorized, map[string]any{"errors": []map[string]string{{
			"status": "401", "code": "NOT_AUTHORIZED", "title": "Authentication credentials are missing or invalid.",
			"detail": "Provide a properly configured and signed bearer token, and make sure that it has not expired.",
		}}})
		return
	}
	if appID != s.AppID {
		fakeJSON(w, http.StatusNotFound, map[string]any{"errors": []map[string]string{{"status": "404", "code": "NOT_FOUND", "title": "The specified resource does not exist"}}})
		return
	}
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	offset, _ := strconv.Atoi(q.Get("cursor"))
	now := s.now()
	s.mu.Lock()
	all := s.released()
	s.mu.Unlock()
	published := func(rv AppStoreReview) bool {
		return rv.Response != "" && !rv.ResponsePending && now.Sub(s.start) >= rv.ResponseAt
	}
	var list []AppStoreReview
	for _, rv := range all {
		switch q.Get("exists[publishedResponse]") {
		case "true":
			if !published(rv) {
				continue
			}
		case "false":
			if published(rv) {
				continue
			}
		}
		list = append(list, rv)
	}
	if q.Get("sort") == "createdDate" {
		slices.Reverse(list)
	}
	lo, hi := min(offset, len(list)), min(offset+limit, len(list))
	data, included := []any{}, []any{}
	for _, rv := range list[lo:hi] {
		id := connectReviewID(rv.ID)
		territory := ascTerritories[rv.Country]
		if territory == "" {
			territory = strings.ToUpper(rv.Country)
		}
		rel := map[string]any{"links": map[string]string{
			"self":    "https://api.appstoreconnect.apple.com/v1/customerReviews/" + id + "/relationships/response",
			"related": "https://api.appstoreconnect.apple.com/v1/customerReviews/" + id + "/response",
		}}
		hasResponse := rv.Response != "" && now.Sub(s.start) >= rv.ResponseAt
		if hasResponse && q.Get("include") == "response" {
			rid := connectResponseID(rv.ID)
			rel["data"] = map[string]string{"type": "customerReviewResponses", "id": rid}
			state := "PUBLISHED"
			if rv.ResponsePending {
				state = "PENDING_PUBLISH"
			}
			included = append(included, map[string]any{
				"type": "customerReviewResponses", "id": rid,
				"attributes": map[string]any{"responseBody": rv.Response, "lastModifiedDate": s.start.Add(rv.ResponseAt).In(time.FixedZone("PST", -8*3600)).Format(time.RFC3339), "state": state},
				"links":      map[string]string{"self": "https://api.appstoreconnect.apple.com/v1/customerReviewResponses/" + rid},
			})
		}
		data = append(data, map[string]any{
			"type": "customerReviews", "id": id,
			"attributes": map[string]any{
				"rating": rv.Rating, "title": rv.Title, "body": rv.Text, "reviewerNickname": rv.Author,
				"createdDate": rv.Updated.In(time.FixedZone("PST", -8*3600)).Format(time.RFC3339), "territory": territory,
			},
			"relationships": map[string]any{"response": rel},
			"links":         map[string]string{"self": "https://api.appstoreconnect.apple.com/v1/customerReviews/" + id},
		})
	}
	// Links are absolute, as Apple's are. RequestURI keeps a path prefix
	// that http.StripPrefix removed from r.URL, so they work behind one.
	path := r.URL.Path
	if u, err := url.ParseRequestURI(r.RequestURI); err == nil {
		path = u.Path
	}
	self := &url.URL{Scheme: "http", Host: r.Host, Path: path, RawQuery: r.URL.RawQuery}
	links := map[string]string{"self": self.String()}
	if hi < len(list) {
		nq := r.URL.Query()
		nq.Set("cursor", strconv.Itoa(hi))
		next := *self
		next.RawQuery = nq.Encode()
		links["next"] = next.String()
	}
	doc := map[string]any{"data": data, "links": links, "meta": map[string]any{"paging": map[string]int{"total": len(list), "limit": limit}}}
	if q.Get("include") == "response" {
		doc["included"] = included
	}
	fakeJSON(w, http.StatusOK, doc)
}

// checkConnectToken verifies an App Store Connect bearer token as Apple
// does; it returns why it is refused, or "".
func (s *AppStoreServer) checkConnectToken(auth string) string {
	s.mu.Lock()
	issuer, keyID, pub := s.issuer, s.keyID, s.pub
	s.mu.Unlock()
	if pub == nil {
		return "no Connect key registered"
	}
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		return "no bearer token"
	}
	header, claims, sig, input, err := splitJWS(tok)
	if err != nil {
		return err.Error()
	}
	if header["alg"] != "ES256" || header["kid"] != keyID || header["typ"] != "JWT" {
		return fmt.Sprintf("bad header alg=%v kid=%v typ=%v", header["alg"], header["kid"], header["typ"])
	}
	if len(sig) != 64 {
		return "ES256 signature is not 64 bytes (r||s)"
	}
	digest := sha256.Sum256([]byte(input))
	if !ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return "bad signature"
	}
	if claims["iss"] != issuer || claims["aud"] != "appstoreconnect-v1" {
		return fmt.Sprintf("bad iss/aud %v %v", claims["iss"], claims["aud"])
	}
	iat, exp := jwsNum(claims, "iat"), jwsNum(claims, "exp")
	now := s.now().Unix()
	switch {
	case exp <= now:
		return "token expired"
	case exp-iat > 20*60:
		return "token lives longer than 20 minutes"
	case iat > now+60:
		return "token issued in the future"
	}
	s.mu.Lock()
	s.tokens[tok] = true
	s.mu.Unlock()
	return ""
}

// splitJWS splits a compact JWS and decodes its parts (no verification).
func splitJWS(tok string) (header, claims map[string]any, sig []byte, signingInput string, err error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, nil, nil, "", errors.New("not a compact JWS")
	}
	dec := base64.RawURLEncoding
	h, err1 := dec.DecodeString(parts[0])
	c, err2 := dec.DecodeString(parts[1])
	sig, err3 := dec.DecodeString(parts[2])
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, nil, nil, "", errors.New("JWS part is not base64url")
	}
	if json.Unmarshal(h, &header) != nil || json.Unmarshal(c, &claims) != nil {
		return nil, nil, nil, "", errors.New("JWS header or claims are not JSON objects")
	}
	return header, claims, sig, parts[0] + "." + parts[1], nil
}

func jwsNum(claims map[string]any, name string) int64 {
	f, _ := claims[name].(float64)
	return int64(f)
}

func fakeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	w.Write(b)
}

func xmlEsc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func servedIDs(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// scriptedFaults scripts failures and canned bodies for a fake, and records every
// request it gets. The zero value is ready.
type scriptedFaults struct {
	fmu      sync.Mutex
	failures []scriptedFault
	bodies   map[string]overrideBody
	requests []string
}

type scriptedFault struct {
	path       string // path prefix
	code       int
	retryAfter string
	times      int
}

type overrideBody struct {
	ctype string
	body  []byte
}

// Fail makes the next times requests whose path starts with pathPrefix
// fail with code (429 with a Retry-After, 503, 500...).
func (f *scriptedFaults) Fail(pathPrefix string, code int, retryAfter string, times int) {
	f.fmu.Lock()
	defer f.fmu.Unlock()
	f.failures = append(f.failures, scriptedFault{path: pathPrefix, code: code, retryAfter: retryAfter, times: times})
}

// Override serves body for every request to exactly path, in place of the
// scripted answer: malformed and oversized payloads.
func (f *scriptedFaults) Override(path, contentType string, body []byte) {
	f.fmu.Lock()
	defer f.fmu.Unlock()
	if f.bodies == nil {
		f.bodies = map[string]overrideBody{}
	}
	f.bodies[path] = overrideBody{ctype: contentType, body: body}
}

// Requests lists the requests served, as "METHOD /path?query", oldest
// first.
func (f *scriptedFaults) Requests() []string {
	f.fmu.Lock()
	defer f.fmu.Unlock()
	return slices.Clone(f.requests)
}

// serve records r and answers it when a scriptedFault or override applies.
func (f *scriptedFaults) serve(w http.ResponseWriter, r *http.Request) bool {
	f.fmu.Lock()
	defer f.fmu.Unlock()
	f.requests = append(f.requests, r.Method+" "+r.URL.RequestURI())
	for i := range f.failures {
		ft := &f.failures[i]
		if ft.times > 0 && strings.HasPrefix(r.URL.Path, ft.path) {
			ft.times--
			if ft.retryAfter != "" {
				w.Header().Set("Retry-After", ft.retryAfter)
			}
			http.Error(w, http.StatusText(ft.code), ft.code)
			return true
		}
	}
	if cb, ok := f.bodies[r.URL.Path]; ok {
		w.Header().Set("Content-Type", cb.ctype)
		w.Write(cb.body)
		return true
	}
	return false
}

// The App Store demo: the Kilat Express app in the Indonesian and US
// storefronts.
const (
	DemoAppStoreID = "1500000001"
)

// DemoAppStoreCountries are the storefronts the demo serves.
var DemoAppStoreCountries = []string{"id", "us"}

// AppStoreDemo scripts Kilat Express reviews: a backlog, an Indonesian
// one-star review the developer answers a little later, an English one
// nobody answers, praise in both languages. Call NewConnectKey for
// credentials that see the developer's response.
func AppStoreDemo(now func() time.Time) *AppStoreServer {
	start := now()
	sec := func(n int) time.Duration { return time.Duration(n) * time.Second }
	return NewAppStore(DemoAppStoreID, now,
		AppStoreReview{ID: "11000000001", Country: "id", Author: "siti.rahma", Rating: 5, Version: "4.2.0", VoteSum: 4, VoteCount: 5,
			Title: "Mantap", Text: "Aplikasi Kilat Express mantap, lacak paket jadi gampang banget", Updated: start.Add(-5 * time.Hour)},
		AppStoreReview{ID: "11000000002", Country: "us", Author: "ken_w", Rating: 4, Version: "4.2.0",
			Title: "Good tracking", Text: "Tracking is accurate and the courier map is handy.", Updated: start.Add(-26 * time.Hour)},
		AppStoreReview{ID: "11000000003", Country: "id", Author: "dewi.k", Rating: 1, Version: "4.2.1", VoteSum: 7, VoteCount: 8, At: sec(4),
			Title: "Gak bisa lacak paket", Text: "Setelah update aplikasinya force close terus pas buka lacak paket. Paket COD saya udh 4 hari gak gerak, kecewa bgt",
			Response:   "Halo Kak Dewi, mohon maaf atas ketidaknyamanannya. Versi 4.2.2 sudah memperbaiki force close, dan tim kami sudah mengecek paket Kakak: besok diantar. Terima kasih sudah sabar.",
			ResponseAt: sec(16)},
		AppStoreReview{ID: "11000000004", Country: "us", Author: "tom_k", Rating: 1, Version: "4.2.1", VoteSum: 2, VoteCount: 2, At: sec(9),
			Title: "Crashes constantly", Text: "Kilat Express app crashes every time I open tracking. Please fix, this is useless."},
		AppStoreReview{ID: "11000000005", Country: "id", Author: "agus99", Rating: 5, Version: "4.2.2", At: sec(22),
			Title: "Sudah lancar", Text: "Update terbaru udah gak crash lagi, makasih Kilat Express"},
	)
}
