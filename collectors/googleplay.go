package collectors

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/store/secret"
)

// KindGooglePlay is the source kind for Google Play reviews of the brand's
// own app, read through the official Play Developer API ("Reply to
// Reviews"). It is off by default: a source must say enabled: true.
const KindGooglePlay = "googleplay"

const (
	googlePlayAPIBase  = "https://androidpublisher.googleapis.com"
	googleTokenURI     = "https://oauth2.googleapis.com/token"
	googlePlayScope    = "https://www.googleapis.com/auth/androidpublisher"
	googleJWTGrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	// googleAssertionLifetime: Google accepts assertions of at most an
	// hour.
	googleAssertionLifetime = time.Hour
	// googleTokenRenew: a cached access token is replaced this long
	// before it expires.
	googleTokenRenew = 2 * time.Minute
	// googlePlayDefaultPages caps the pages (100 reviews each) read per
	// poll. The API only holds the last week's reviews; 10 pages is a
	// thousand reviews with text a week, more than most apps get.
	googlePlayDefaultPages = 10
	googlePlayMaxPages     = 50
	// googlePlaySeenMax bounds the per-review thumbs-up memory in the
	// cursor (the API's whole one-week window, normally far fewer).
	googlePlaySeenMax = 5000
)

// GooglePlayConfig is the "googleplay:" section of a source.
type GooglePlayConfig struct {
	// PackageName is the app's package ("com.kilatexpress.app").
	PackageName string `yaml:"package_name"`
	// ServiceAccountKey, or the file named by ServiceAccountKeyFile, is
	// the JSON key of a Google Cloud service account that was invited to
	// the Play Console with the "Reply to reviews" permission.
	ServiceAccountKey     secret.Secret `yaml:"service_account_key"`
	ServiceAccountKeyFile string        `yaml:"service_account_key_file"`
	// MaxPages caps the pages of 100 reviews read per poll (default 10).
	MaxPages int `yaml:"max_pages"`
	// APIBase replaces https://androidpublisher.googleapis.com, for the
	// demo's and tests' fakes. (The token endpoint is the key file's
	// token_uri.) It must be https, or http on a loopback address.
	APIBase string `yaml:"api_base"`
}

var packagePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$`)

func (c *GooglePlayConfig) validate(path string) []error {
	if c == nil {
		return []error{fieldErr(path, "required: a googleplay source needs package_name and service_account_key_file")}
	}
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, fieldErr(path+"."+field, format, args...))
	}
	switch {
	case c.PackageName == "":
		add("package_name", "required: the app's package name, e.g. com.example.app")
	case len(c.PackageName) > 255 || !packagePattern.MatchString(c.PackageName):
		add("package_name", "%q is not an Android package name (like com.example.app)", truncateUTF8(c.PackageName, 80))
	}
	if c.MaxPages < 0 || c.MaxPages > googlePlayMaxPages {
		add("max_pages", "must be between 1 and %d, got %d", googlePlayMaxPages, c.MaxPages)
	}
	if c.APIBase != "" {
		if _, err := parseServiceBase(c.APIBase, ""); err != nil {
			add("api_base", "%v", err)
		}
	}
	field := "service_account_key_file"
	if c.ServiceAccountKey.IsSet() {
		field = "service_account_key"
	}
	key, err := secret.Resolve(c.ServiceAccountKey, c.ServiceAccountKeyFile)
	switch {
	case err != nil:
		add(field, "%v", err)
	case !key.IsSet():
		add("service_account_key_file", "required: the service account's JSON key file (the API has no public access)")
	default:
		if _, err := parseServiceAccount(key); err != nil {
			add(field, "%v", err)
		}
	}
	return errs
}

// googlePlayOptIn refuses a googleplay source that does not say enabled:
// true. SourceConfig.validate should call it so the message carries the
// source's path; NewGooglePlay checks it too.
func (c SourceConfig) googlePlayOptIn(path string) error {
	if c.Kind != KindGooglePlay || c.Enabled != nil {
		return nil
	}
	return fieldErr(path+".enabled", "%s", googlePlayOptInMsg)
}

const googlePlayOptInMsg = "a googleplay source is off by default and needs enabled: true: it signs in to the brand's Play Console " +
	"with a service-account key (one that can also reply to reviews), so it runs only when asked for explicitly"

// googleServiceAccount is the part of a service-account JSON key used here.
type googleServiceAccount struct {
	Type         string `json:"type"`
	PrivateKeyID string `json:"private_key_id"`
	PrivateKey   string `json:"private_key"`
	ClientEmail  string `json:"client_email"`
	TokenURI     string `json:"token_uri"`

	key      *rsa.PrivateKey
	tokenURL *url.URL
}

// parseServiceAccount reads a service-account key. Errors name what is
// wrong, never a byte of the key.
func parseServiceAccount(s secret.Secret) (*googleServiceAccount, error) {
	var sa googleServiceAccount
	if err := json.Unmarshal([]byte(s.Reveal()), &sa); err != nil {
		return nil, fmt.Errorf("not a service-account JSON key: %s", jsonProblem(err))
	}
	if sa.Type != "service_account" {
		return nil, fmt.Errorf("not a service-account key (its \"type\" is %q, want \"service_account\")", truncateUTF8(cleanText(sa.Type), 40))
	}
	if sa.ClientEmail == "" || !strings.Contains(sa.ClientEmail, "@") {
		return nil, errors.New("the key has no client_email")
	}
	block, _ := pem.Decode([]byte(sa.PrivateKey))
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New(`the key's private_key is not a PEM "PRIVATE KEY" block`)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, errors.New("the key's private_key is not a PKCS #8 private key")
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok || rk.N.BitLen() < 2048 {
		return nil, errors.New("the key's private_key is not an RSA key of at least 2048 bits")
	}
	sa.key = rk
	tu := sa.TokenURI
	if tu == "" {
		tu = googleTokenURI
	}
	// The token endpoint receives the signed assertion: https only (http
	// on loopback, for fakes).
	u, err := url.Parse(tu)
	if err != nil || u.Host == "" || u.User != nil || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopbackHost(u.Hostname()))) {
		return nil, fmt.Errorf("the key's token_uri %s is not an https URL", redactURL(tu))
	}
	sa.tokenURL = u
	sa.PrivateKey = "" // keep only the parsed key
	return &sa, nil
}

// GooglePlay collects the reviews of the brand's own Android app.
type GooglePlay struct {
	name     string
	brand    string
	pkg      string
	apiBase  *url.URL
	maxPages int
	fetch    *Fetcher
	sa       *googleServiceAccount
	// replyHandle is who the developer's replies are shown as.
	replyHandle string

	mu       sync.Mutex
	token    string
	tokenExp time.Time
}

var (
	_ Collector = (*GooglePlay)(nil)
	_ Coverage  = (*GooglePlay)(nil)
)

// NewGooglePlay builds the collector for a "googleplay" source. It refuses a
// source that is not explicitly enabled.
func NewGooglePlay(cfg SourceConfig, brand Brand, f *Fetcher) (Collector, error) {
	return newGooglePlay(cfg, brand, f)
}

func newGooglePlay(cfg SourceConfig, brand Brand, f *Fetcher) (*GooglePlay, error) {
	fail := func(format string, args ...any) (*GooglePlay, error) {
		return nil, fmt.Errorf("googleplay source %q: %s", cfg.Name, fmt.Sprintf(format, args...))
	}
	if cfg.Enabled == nil || !*cfg.Enabled {
		return fail("enabled: %s", googlePlayOptInMsg)
	}
	if f == nil {
		return fail("nil Fetcher")
	}
	c := cfg.GooglePlay
	if errs := c.validate("googleplay"); len(errs) > 0 {
		return fail("%v", errors.Join(errs...))
	}
	key, _ := secret.Resolve(c.ServiceAccountKey, c.ServiceAccountKeyFile)
	sa, err := parseServiceAccount(key)
	if err != nil {
		return fail("%v", err)
	}
	base, err := parseServiceBase(c.APIBase, googlePlayAPIBase)
	if err != nil {
		return fail("api_base: %v", err)
	}
	g := &GooglePlay{
		name:        cfg.Name,
		brand:       brand.Name,
		pkg:         c.PackageName,
		apiBase:     base,
		maxPages:    c.MaxPages,
		fetch:       f,
		sa:          sa,
		replyHandle: brandReplyHandle(brand, KindGooglePlay),
	}
	if g.maxPages == 0 {
		g.maxPages = googlePlayDefaultPages
	}
	if c.APIBase == "" {
		// Reading reviews is limited to 200 requests an hour per app:
		// one every 18 s, with a small burst for a poll's few pages.
		f.LimitHost(base.Host, rate.Every(18*time.Second), 3)
	}
	return g, nil
}

func (g *GooglePlay) Name() string { return g.name }
func (g *GooglePlay) Kind() string { return KindGooglePlay }

// Coverage says what the source sees.
func (g *GooglePlay) Coverage() string {
	return fmt.Sprintf("Google Play reviews of %s through the official Play Developer API: only reviews with text, "+
		"created or changed in the last 7 days (the API keeps nothing older, so a long outage loses reviews), "+
		"production track only; star-only ratings are not visible. The developer's replies are seen, so answered reviews are marked answered.", g.pkg)
}

// googlePlayCursor is the collector's cursor, stored as JSON. The API
// serves only the last week and in no promised order, so every poll reads
// the whole window (a few requests) and the cursor remembers what to send
// again: each review's last thumbs-up count, so a sample is stored only
// when it changed.
type googlePlayCursor struct {
	Newest time.Time        `json:"newest,omitzero"`
	Thumbs map[string]int64 `json:"thumbs,omitempty"`
}

func parseGooglePlayCursor(s string) googlePlayCursor {
	var c googlePlayCursor
	if s != "" && json.Unmarshal([]byte(s), &c) != nil {
		c = googlePlayCursor{}
	}
	if c.Thumbs == nil {
		c.Thumbs = map[string]int64{}
	}
	return c
}

type playReviewsDoc struct {
	Reviews         []json.RawMessage `json:"reviews"`
	TokenPagination struct {
		NextPageToken string `json:"nextPageToken"`
	} `json:"tokenPagination"`
}

// playTimestamp is a protobuf Timestamp as JSON: seconds come as a string.
type playTimestamp struct {
	Seconds json.Number `json:"seconds"`
	Nanos   int64       `json:"nanos"`
}

func (t playTimestamp) time() (time.Time, bool) {
	s, err := strconv.ParseInt(t.Seconds.String(), 10, 64)
	if err != nil || s <= 0 || t.Nanos < 0 || t.Nanos >= 1e9 {
		return time.Time{}, false
	}
	return time.Unix(s, t.Nanos).UTC(), true
}

type playReview struct {
	ReviewID   string `json:"reviewId"`
	AuthorName string `json:"authorName"`
	Comments   []struct {
		UserComment *struct {
			Text             string        `json:"text"`
			LastModified     playTimestamp `json:"lastModified"`
			StarRating       int           `json:"starRating"`
			ReviewerLanguage string        `json:"reviewerLanguage"`
			AppVersionName   string        `json:"appVersionName"`
			ThumbsUpCount    int64         `json:"thumbsUpCount"`
		} `json:"userComment"`
		DeveloperComment *struct {
			Text         string        `json:"text"`
			LastModified playTimestamp `json:"lastModified"`
		} `json:"developerComment"`
	} `json:"comments"`
}

var playReviewIDPattern = regexp.MustCompile(`^[A-Za-z0-9:_\-.]{1,200}$`)

// Poll reads the API's whole window of reviews.
func (g *GooglePlay) Poll(ctx context.Context, cursor string) (store.Batch, error) {
	cur := parseGooglePlayCursor(cursor)
	now := g.fetch.Now().UTC()
	b := store.Batch{Source: g.name, Kind: KindGooglePlay, At: now, Coverage: g.Coverage()}
	var (
		problems []error
		anyOK    bool
		seen     = map[string]bool{}
		next     = googlePlayCursor{Newest: cur.Newest, Thumbs: map[string]int64{}}
		token    string
	)
	for page := 1; page <= g.maxPages; page++ {
		q := url.Values{"maxResults": {"100"}}
		if token != "" {
			q.Set("token", token)
		}
		u := g.apiBase.JoinPath("androidpublisher", "v3", "applications", g.pkg, "reviews").String() + "?" + q.Encode()
		doc, err := g.get(ctx, u, now)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return store.Batch{}, fmt.Errorf("googleplay source %q: %w", g.name, ctxErr)
			}
			problems = append(problems, fmt.Errorf("reviews page %d: %w", page, err))
			break
		}
		anyOK = true
		for i, raw := range doc.Reviews {
			var r playReview
			if err := json.Unmarshal(raw, &r); err != nil {
				problems = append(problems, fmt.Errorf("reviews page %d review %d: not a review object: %s", page, i+1, jsonProblem(err)))
				continue
			}
			ms, thumbs, err := g.mentions(r, now)
			if err != nil {
				problems = append(problems, fmt.Errorf("reviews page %d review %d: %w", page, i+1, err))
				continue
			}
			if seen[ms[0].NativeID] {
				continue
			}
			seen[ms[0].NativeID] = true
			b.Mentions = append(b.Mentions, ms...)
			if ms[0].CreatedAt.After(next.Newest) {
				next.Newest = ms[0].CreatedAt
			}
			if thumbs != nil {
				id := ms[0].NativeID
				if old, ok := cur.Thumbs[id]; !ok || old != *thumbs {
					b.Samples = append(b.Samples, store.MentionSample{Key: store.MentionKey(KindGooglePlay, id), Sample: store.Sample{At: now, Likes: thumbs}})
				}
				if len(next.Thumbs) < googlePlaySeenMax {
					next.Thumbs[id] = *thumbs
				}
			}
		}
		token = doc.TokenPagination.NextPageToken
		if token == "" {
			break
		}
		if len(token) > 1024 {
			problems = append(problems, errors.New("reviews: the next-page token is implausibly long; stopped paging"))
			break
		}
	}
	if len(problems) > 0 {
		// Reviews on pages not read keep their old counts, so their
		// samples are not lost.
		for id, n := range cur.Thumbs {
			if _, ok := next.Thumbs[id]; !ok && len(next.Thumbs) < googlePlaySeenMax {
				next.Thumbs[id] = n
			}
		}
	}
	enc, err := json.Marshal(next)
	if err != nil {
		return store.Batch{}, fmt.Errorf("googleplay source %q: encode cursor: %w", g.name, err)
	}
	s := string(enc)
	b.Cursor = &s
	return finishPoll(b, problems, anyOK)
}

// mentions maps one review: the customer's comment and, if the developer
// answered, the reply. thumbs is the review's thumbs-up count.
func (g *GooglePlay) mentions(r playReview, now time.Time) ([]store.Mention, *int64, error) {
	id := strings.TrimSpace(r.ReviewID)
	if !playReviewIDPattern.MatchString(id) {
		return nil, nil, fmt.Errorf("reviewId %q is not a review id", truncateUTF8(cleanText(id), 40))
	}
	var (
		out    []store.Mention
		thumbs *int64
	)
	reviewKey := store.MentionKey(KindGooglePlay, id)
	link := "https://play.google.com/store/apps/details?" + url.Values{"id": {g.pkg}, "reviewId": {id}}.Encode()
	for _, c := range r.Comments {
		if uc := c.UserComment; uc != nil && len(out) == 0 {
			at, ok := uc.LastModified.time()
			if !ok {
				return nil, nil, fmt.Errorf("review %s: userComment.lastModified is not a timestamp", id)
			}
			if uc.StarRating < 1 || uc.StarRating > 5 {
				return nil, nil, fmt.Errorf("review %s: starRating %d is not 1 to 5", id, uc.StarRating)
			}
			if at.After(now.Add(maxFutureSkew)) {
				at = now
			}
			// A review with a title comes as "title<TAB>text".
			title, text, ok := strings.Cut(uc.Text, "\t")
			if !ok {
				title, text = "", uc.Text
			}
			rating := uc.StarRating
			author := truncateUTF8(cleanText(r.AuthorName), maxAuthorBytes)
			out = append(out, store.Mention{
				Kind:      KindGooglePlay,
				Source:    g.name,
				NativeID:  id,
				URL:       link,
				Brand:     g.brand,
				Author:    store.Author{Handle: author, DisplayName: author},
				Title:     truncateUTF8(cleanText(title), maxTitleBytes),
				Text:      truncateUTF8(cleanText(text), maxTextBytes),
				Rating:    &rating,
				Lang:      androidLang(uc.ReviewerLanguage),
				CreatedAt: at,
			})
			if uc.ThumbsUpCount >= 0 {
				n := uc.ThumbsUpCount
				thumbs = &n
			}
		}
	}
	if len(out) == 0 {
		return nil, nil, fmt.Errorf("review %s has no userComment", id)
	}
	for _, c := range r.Comments {
		dc := c.DeveloperComment
		if dc == nil {
			continue
		}
		at, ok := dc.LastModified.time()
		if !ok || at.After(now.Add(maxFutureSkew)) {
			at = now
		}
		out = append(out, store.Mention{
			Kind:       KindGooglePlay,
			Source:     g.name,
			NativeID:   "reply:" + id,
			URL:        link,
			Brand:      g.brand,
			Author:     store.Author{Handle: g.replyHandle, DisplayName: g.replyHandle},
			Text:       truncateUTF8(cleanText(dc.Text), maxTextBytes),
			Lang:       out[0].Lang,
			CreatedAt:  at,
			ReplyTo:    reviewKey,
			ThreadRoot: reviewKey,
			ByBrand:    true,
		})
		break // one developer reply per review
	}
	return out, thumbs, nil
}

// androidLang maps the reviewer's language to its primary subtag. Android
// still reports some languages under their withdrawn ISO 639 codes:
// Indonesian is "in", not "id".
func androidLang(tag string) string {
	l := primaryLang(tag)
	switch l {
	case "in":
		return "id"
	case "iw":
		return "he"
	case "ji":
		return "yi"
	}
	return l
}

// get fetches one page of reviews with a bearer token, getting a fresh
// token once if Google refuses the cached one.
func (g *GooglePlay) get(ctx context.Context, u string, now time.Time) (*playReviewsDoc, error) {
	var resp *Response
	for attempt := 0; ; attempt++ {
		tok, err := g.accessToken(ctx, now)
		if err != nil {
			return nil, err
		}
		resp, err = g.fetch.Get(ctx, Request{URL: u, Header: http.Header{
			"Accept":        {"application/json"},
			"Authorization": {"Bearer " + tok},
		}})
		var se *StatusError
		if errors.As(err, &se) && se.Code == http.StatusUnauthorized && attempt == 0 {
			g.forgetToken()
			continue
		}
		if err != nil {
			return nil, scrubError(err, tok)
		}
		break
	}
	var doc playReviewsDoc
	if err := json.Unmarshal(resp.Body, &doc); err != nil {
		return nil, fmt.Errorf("not a reviews list: %s", jsonProblem(err))
	}
	return &doc, nil
}

func (g *GooglePlay) forgetToken() {
	g.mu.Lock()
	g.token = ""
	g.mu.Unlock()
}

// accessToken returns a cached access token, or trades a freshly signed
// assertion for one (OAuth 2.0 JWT bearer grant, RFC 7523).
func (g *GooglePlay) accessToken(ctx context.Context, now time.Time) (string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.token != "" && now.Before(g.tokenExp.Add(-googleTokenRenew)) {
		return g.token, nil
	}
	header := map[string]string{"alg": "RS256", "typ": "JWT"}
	if g.sa.PrivateKeyID != "" {
		header["kid"] = g.sa.PrivateKeyID
	}
	assertion, err := signJWT(header, map[string]any{
		"iss":   g.sa.ClientEmail,
		"scope": googlePlayScope,
		"aud":   g.sa.tokenURL.String(),
		"iat":   now.Unix(),
		"exp":   now.Add(googleAssertionLifetime).Unix(),
	}, func(digest []byte) ([]byte, error) {
		return rsa.SignPKCS1v15(rand.Reader, g.sa.key, crypto.SHA256, digest)
	})
	if err != nil {
		return "", err
	}
	body := url.Values{"grant_type": {googleJWTGrantType}, "assertion": {assertion}}.Encode()
	resp, err := g.fetch.Do(ctx, Request{
		Method: http.MethodPost,
		URL:    g.sa.tokenURL.String(),
		Body:   []byte(body),
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"application/json"}},
	})
	if err != nil {
		// The assertion travels in the body, which the fetch layer does
		// not know to scrub: a server echoing it must not put it in
		// our error.
		return "", fmt.Errorf("get an access token: %w", scrubError(err, assertion, assertion[strings.LastIndexByte(assertion, '.')+1:]))
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
		TokenType   string `json:"token_type"`
	}
	if err := json.Unmarshal(resp.Body, &tr); err != nil {
		return "", fmt.Errorf("get an access token: the token endpoint's answer is not a token: %s", jsonProblem(err))
	}
	if tr.AccessToken == "" || !strings.EqualFold(tr.TokenType, "bearer") || tr.ExpiresIn <= 0 {
		return "", errors.New("get an access token: the token endpoint's answer has no bearer token")
	}
	g.token = tr.AccessToken
	g.tokenExp = now.Add(time.Duration(min(tr.ExpiresIn, 24*3600)) * time.Second)
	return g.token, nil
}

// scrubError returns err with the given secrets removed from its text,
// including cut-off copies: an error body is truncated before anyone can
// scrub it, so a long token may appear only in part. A *StatusError inside
// is replaced by a scrubbed copy, so errors.As still finds the status and
// Retry-After but never the secret.
func scrubError(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	clean := func(s string) string {
		for _, sec := range secrets {
			s = scrubPartial(s, sec)
			if q := url.QueryEscape(sec); q != sec {
				s = scrubPartial(s, q)
			}
		}
		return s
	}
	msg := clean(err.Error())
	var se *StatusError
	if errors.As(err, &se) {
		c := *se
		c.Body, c.URL = clean(se.Body), clean(se.URL)
		return &redactedError{msg: msg, cause: &c}
	}
	if msg == err.Error() {
		return err
	}
	// Keep the first cause whose own text is clean (a context error, say),
	// so errors.Is still works without carrying the secret along.
	cause := errors.Unwrap(err)
	for cause != nil && clean(cause.Error()) != cause.Error() {
		cause = errors.Unwrap(cause)
	}
	return &redactedError{msg: msg, cause: cause}
}

// scrubPartial replaces every copy of sec in s, and every cut-off copy of
// at least its first 16 bytes, with "REDACTED". Shorter secrets are
// replaced only whole.
func scrubPartial(s, sec string) string {
	const minLen = 16
	if len(sec) < 4 {
		return s
	}
	if len(sec) < minLen {
		return strings.ReplaceAll(s, sec, redacted)
	}
	head := sec[:minLen]
	var b strings.Builder
	for {
		i := strings.Index(s, head)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := minLen
		for j < len(sec) && i+j < len(s) && s[i+j] == sec[j] {
			j++
		}
		b.WriteString(s[:i])
		b.WriteString(redacted)
		s = s[i+j:]
	}
}
