package collectors

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mmcdole/gofeed"
	"golang.org/x/time/rate"

	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/store/secret"
)

// KindAppStore is the source kind for Apple App Store reviews of one app:
// the public per-country customer-reviews feed, and, with App Store Connect
// API credentials, the developer's published responses.
const KindAppStore = "appstore"

const (
	appStoreFeedBase    = "https://itunes.apple.com"
	appStoreConnectBase = "https://api.appstoreconnect.apple.com"
	// appStoreMaxPages: Apple serves 10 pages of 50 reviews per country
	// and nothing older, whatever the page number asked.
	appStoreMaxPages = 10
	// appStoreTokenLifetime: Apple refuses Connect tokens that live longer
	// than 20 minutes; 15 leaves room for clock skew between us and Apple.
	appStoreTokenLifetime = 15 * time.Minute
	// appStoreTokenRenew: a cached token is replaced this long before it
	// expires, so a slow request never arrives with an expired one.
	appStoreTokenRenew = time.Minute
	// appStoreDefaultLookback is how far back (by review creation date)
	// the developer's responses are looked for. Responses to older
	// reviews no longer move an SLA clock.
	appStoreDefaultLookback = 14 * 24 * time.Hour
	appStoreMaxLookback     = 90 * 24 * time.Hour
	// appStoreConnectMaxPages bounds one scan: 5 pages of 200 answered
	// reviews is more than any app answers in the lookback.
	appStoreConnectMaxPages = 5
	// appStoreIndexMax bounds the review index kept in the cursor to
	// match Connect responses with feed reviews of earlier polls (about
	// 32 bytes an entry). Reviews that fall out of it are matched only
	// when the scheduler refreshes them (Refresh gets the stored review).
	appStoreIndexMax = 2000
)

// AppStoreConfig is the "appstore:" section of a source.
type AppStoreConfig struct {
	// AppID is the numeric App Store id (the digits after "id" in the
	// app's URL).
	AppID string `yaml:"app_id"`
	// Countries are the storefronts to read, as two-letter ISO 3166
	// codes ("id", "us"). Each storefront has its own reviews.
	Countries []string `yaml:"countries"`
	// MaxPages caps the feed pages read per country and poll (1..10,
	// default 10: Apple's ~500 newest). Paging stops earlier at the
	// reviews already seen.
	MaxPages int `yaml:"max_pages"`

	// App Store Connect API credentials (optional, for the brand's own
	// app): with them Pantau sees the developer's published responses
	// and knows which reviews were answered. Create the key with the
	// "Customer Support" role; private_key(_file) is the .p8 file.
	IssuerID       string        `yaml:"issuer_id"`
	KeyID          string        `yaml:"key_id"`
	PrivateKey     secret.Secret `yaml:"private_key"`
	PrivateKeyFile string        `yaml:"private_key_file"`
	// ReplyLookback is how far back (by review date) responses are
	// looked for; default 14 days, at most 90.
	ReplyLookback time.Duration `yaml:"reply_lookback"`

	// FeedBase and ConnectBase replace Apple's hosts, for the demo's and
	// tests' fake servers. Leave them out otherwise. They must be https,
	// or http on a loopback address.
	FeedBase    string `yaml:"feed_base"`
	ConnectBase string `yaml:"connect_base"`
}

var (
	appStoreIDPattern      = regexp.MustCompile(`^[0-9]{1,20}$`)
	countryPattern         = regexp.MustCompile(`^[a-z]{2}$`)
	ascIssuerPattern       = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	ascKeyIDPattern        = regexp.MustCompile(`^[A-Z0-9]{10}$`)
	errAppStoreKeyNotP256  = errors.New("the key is not an ECDSA P-256 key (App Store Connect keys are)")
	errAppStoreKeyNoPEM    = errors.New(`expected a PEM "PRIVATE KEY" block (the .p8 file downloaded from App Store Connect)`)
	errAppStoreKeyNotPKCS8 = errors.New("the PEM block is not a PKCS #8 private key")
)

func (c *AppStoreConfig) validate(path string) []error {
	if c == nil {
		return []error{fieldErr(path, "required: an appstore source needs app_id and countries")}
	}
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, fieldErr(path+"."+field, format, args...))
	}
	switch {
	case c.AppID == "":
		add("app_id", "required: the app's numeric id (the digits after \"id\" in its App Store URL)")
	case !appStoreIDPattern.MatchString(c.AppID):
		add("app_id", "%q is not a numeric App Store id", truncateUTF8(c.AppID, 40))
	}
	if len(c.Countries) == 0 {
		add("countries", "required: at least one two-letter storefront code, e.g. [\"id\", \"us\"]")
	}
	seen := map[string]int{}
	for i, cc := range c.Countries {
		p := fmt.Sprintf("countries[%d]", i)
		norm := strings.ToLower(strings.TrimSpace(cc))
		if !countryPattern.MatchString(norm) {
			add(p, "%q is not a two-letter ISO 3166 country code (e.g. \"id\", \"us\")", truncateUTF8(cc, 20))
			continue
		}
		if j, dup := seen[norm]; dup {
			add(p, "duplicate country %q (also countries[%d])", norm, j)
			continue
		}
		seen[norm] = i
	}
	if c.MaxPages < 0 || c.MaxPages > appStoreMaxPages {
		add("max_pages", "must be between 1 and %d (Apple serves no more), got %d", appStoreMaxPages, c.MaxPages)
	}
	if c.ReplyLookback < 0 || c.ReplyLookback > appStoreMaxLookback || (c.ReplyLookback > 0 && c.ReplyLookback < time.Hour) {
		add("reply_lookback", "must be between 1h and %s, got %s", appStoreMaxLookback, c.ReplyLookback)
	}
	for _, b := range [][2]string{{"feed_base", c.FeedBase}, {"connect_base", c.ConnectBase}} {
		if b[1] == "" {
			continue
		}
		if _, err := parseServiceBase(b[1], ""); err != nil {
			add(b[0], "%v", err)
		}
	}

	// Connect credentials come as a set: half a set is a mistake that
	// would silently leave every review looking unanswered.
	key, kerr := secret.Resolve(c.PrivateKey, c.PrivateKeyFile)
	if kerr != nil {
		add("private_key_file", "%v", kerr)
	}
	anySet := c.IssuerID != "" || c.KeyID != "" || c.PrivateKey.IsSet() || c.PrivateKeyFile != ""
	if !anySet {
		return errs
	}
	if c.IssuerID == "" {
		add("issuer_id", "required with App Store Connect credentials (Users and Access > Integrations in App Store Connect)")
	} else if !ascIssuerPattern.MatchString(c.IssuerID) {
		add("issuer_id", "%q is not an issuer id (a UUID like 57246542-96fe-1a63-e053-0824d011072a)", truncateUTF8(c.IssuerID, 60))
	}
	if c.KeyID == "" {
		add("key_id", "required with App Store Connect credentials")
	} else if !ascKeyIDPattern.MatchString(c.KeyID) {
		add("key_id", "%q is not a key id (10 capital letters and digits, like 2X9R4HXF34)", truncateUTF8(c.KeyID, 40))
	}
	switch {
	case kerr != nil:
	case !key.IsSet():
		add("private_key_file", "required with App Store Connect credentials: the .p8 key file")
	default:
		if _, err := parseAppStoreKey(key); err != nil {
			field := "private_key_file"
			if c.PrivateKey.IsSet() {
				field = "private_key"
			}
			add(field, "not an App Store Connect key: %v", err)
		}
	}
	return errs
}

// parseAppStoreKey reads a .p8 key. Errors describe the problem, never the
// key's bytes.
func parseAppStoreKey(s secret.Secret) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(s.Reveal())))
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errAppStoreKeyNoPEM
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, errAppStoreKeyNotPKCS8
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok || ek.Curve != elliptic.P256() {
		return nil, errAppStoreKeyNotP256
	}
	return ek, nil
}

// parseServiceBase checks an API base URL override. Credentials go to this
// host, so it must be https; plain http is allowed only on loopback, where
// the demo's and tests' fakes run. def is used when raw is empty.
func parseServiceBase(raw, def string) (*url.URL, error) {
	if raw == "" {
		raw = def
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("%s is not an absolute https URL", redactURL(raw))
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%s: a base URL takes no credentials, query or fragment", redactURL(raw))
	}
	if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		return nil, fmt.Errorf("%s: must be https (plain http only on a loopback address, for fakes)", redactURL(raw))
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// PartialPollError comes back from Poll together with a usable batch when
// some parts of a source failed (one storefront's page was malformed, one
// video's comments hit a quota, one item was garbage) and the rest worked.
// The batch holds everything that worked and a cursor that only advances
// past what was read, so ingesting it loses nothing and the failed parts
// are tried again next poll. A scheduler should ingest the batch and record
// the error; errors.As finds a *StatusError (a 429's Retry-After) inside.
// When nothing worked, Poll returns a plain error and an empty batch.
type PartialPollError struct {
	Source string
	// Errs are the problems, each naming what was skipped and why.
	Errs []error
}

func (e *PartialPollError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "source %q: kept the rest of the batch; skipped %d part(s): ", e.Source, len(e.Errs))
	const shown = 5
	for i, err := range e.Errs[:min(len(e.Errs), shown)] {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(err.Error())
	}
	if len(e.Errs) > shown {
		fmt.Fprintf(&b, "; and %d more", len(e.Errs)-shown)
	}
	return b.String()
}

func (e *PartialPollError) Unwrap() []error { return e.Errs }

// finishPoll turns a batch and the problems met building it into Poll's
// result: the batch alone, the batch with a *PartialPollError, or (when
// nothing worked) only an error.
func finishPoll(b store.Batch, problems []error, anyOK bool) (store.Batch, error) {
	switch {
	case len(problems) == 0:
		return b, nil
	case !anyOK:
		return store.Batch{}, fmt.Errorf("%s source %q: %w", b.Kind, b.Source, errors.Join(problems...))
	}
	return b, &PartialPollError{Source: b.Source, Errs: problems}
}

// isRateLimited reports whether err is a 429 (or a 503, which Apple and
// Google send when overloaded): the host wants no more requests for now,
// so the rest of this poll leaves it alone.
func isRateLimited(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && (se.Code == http.StatusTooManyRequests || se.Code == http.StatusServiceUnavailable)
}

// AppStore collects one app's App Store reviews.
type AppStore struct {
	name      string
	brand     string
	appID     string
	countries []string
	maxPages  int
	feedBase  *url.URL
	fetch     *Fetcher
	// replyHandle is who the developer's responses are shown as: the
	// brand's first "appstore" account, else the brand's name.
	replyHandle string
	// connect is nil without App Store Connect credentials.
	connect *appStoreConnect
}

var (
	_ Collector = (*AppStore)(nil)
	_ Refresher = (*AppStore)(nil)
	_ Coverage  = (*AppStore)(nil)
)

// NewAppStore builds the collector for an "appstore" source. cfg should
// have passed Validate.
func NewAppStore(cfg SourceConfig, brand Brand, f *Fetcher) (Collector, error) {
	return newAppStore(cfg, brand, f)
}

func newAppStore(cfg SourceConfig, brand Brand, f *Fetcher) (*AppStore, error) {
	fail := func(format string, args ...any) (*AppStore, error) {
		return nil, fmt.Errorf("appstore source %q: %s", cfg.Name, fmt.Sprintf(format, args...))
	}
	if f == nil {
		return fail("nil Fetcher")
	}
	c := cfg.AppStore
	if errs := c.validate("appstore"); len(errs) > 0 {
		return fail("%v", errors.Join(errs...))
	}
	feedBase, err := parseServiceBase(c.FeedBase, appStoreFeedBase)
	if err != nil {
		return fail("feed_base: %v", err)
	}
	a := &AppStore{
		name:        cfg.Name,
		brand:       brand.Name,
		appID:       c.AppID,
		maxPages:    c.MaxPages,
		feedBase:    feedBase,
		fetch:       f,
		replyHandle: brandReplyHandle(brand, KindAppStore),
	}
	if a.maxPages == 0 {
		a.maxPages = appStoreMaxPages
	}
	for _, cc := range c.Countries {
		a.countries = append(a.countries, strings.ToLower(strings.TrimSpace(cc)))
	}
	if c.FeedBase == "" {
		// Apple documents no limit for the feed; stay at the polite
		// default of one request a second.
		f.LimitHost(feedBase.Host, rate.Every(time.Second), 2)
	}
	key, _ := secret.Resolve(c.PrivateKey, c.PrivateKeyFile)
	if key.IsSet() {
		pk, err := parseAppStoreKey(key)
		if err != nil {
			return fail("private key: %v", err)
		}
		base, err := parseServiceBase(c.ConnectBase, appStoreConnectBase)
		if err != nil {
			return fail("connect_base: %v", err)
		}
		lookback := c.ReplyLookback
		if lookback == 0 {
			lookback = appStoreDefaultLookback
		}
		a.connect = &appStoreConnect{issuer: c.IssuerID, keyID: c.KeyID, key: pk, base: base, lookback: lookback}
		if c.ConnectBase == "" {
			// The Connect API allows 3600 requests an hour per key.
			f.LimitHost(base.Host, rate.Every(time.Second), 2)
		}
	}
	return a, nil
}

// brandReplyHandle is the author shown on the brand's replies from a store
// console (which has no per-agent accounts): the brand's first account for
// the kind, else the brand's name.
func brandReplyHandle(b Brand, kind string) string {
	for _, h := range b.Accounts[kind] {
		if h = strings.TrimSpace(h); h != "" {
			return h
		}
	}
	return b.Name
}

func (a *AppStore) Name() string { return a.name }
func (a *AppStore) Kind() string { return KindAppStore }

// Coverage says what the source sees.
func (a *AppStore) Coverage() string {
	s := fmt.Sprintf("App Store reviews from the public feed (the newest ~%d per storefront: %s)", a.maxPages*50, strings.Join(a.countries, ", "))
	if a.connect == nil {
		return s + "; the developer's replies are not visible without App Store Connect credentials."
	}
	return s + fmt.Sprintf("; the developer's published responses from App Store Connect for reviews of the last %s, matched to feed reviews by reviewer nickname and title. Reviews older than the feed's window are not seen.", formatDays(a.connect.lookback))
}

func formatDays(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		n := int(d / (24 * time.Hour))
		if n == 1 {
			return "day"
		}
		return fmt.Sprintf("%d days", n)
	}
	return d.String()
}

// appStoreCursor is the App Store collector's cursor, stored as JSON.
type appStoreCursor struct {
	Countries map[string]*appStoreCountryCursor `json:"countries,omitempty"`
	// Index maps recent reviews' fingerprints to their storefront and id
	// ("fp:cc:id", newest last), so a Connect response found in a later
	// poll still finds its review. Kept only with Connect credentials.
	Index []string `json:"index,omitempty"`
}

// appStoreCountryCursor is one storefront's position.
type appStoreCountryCursor struct {
	// ETag and LastModified are page 1's validators.
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	// Newest is the high-water mark: the newest review date read, and
	// the ids dated exactly then.
	Newest    time.Time `json:"newest,omitzero"`
	NewestIDs []string  `json:"newest_ids,omitempty"`
}

// parseAppStoreCursor reads a cursor; one that does not decode only costs
// a re-read of the pages, so it counts as empty.
func parseAppStoreCursor(s string) appStoreCursor {
	var c appStoreCursor
	if s != "" && json.Unmarshal([]byte(s), &c) != nil {
		c = appStoreCursor{}
	}
	if c.Countries == nil {
		c.Countries = map[string]*appStoreCountryCursor{}
	}
	return c
}

// appStoreReview is one review read from the feed.
type appStoreReview struct {
	m       store.Mention
	country string
	votes   *int64 // im:voteSum, the "helpful" votes
	dated   bool
}

// Poll reads each storefront's newest reviews down to the ones already
// seen and, with Connect credentials, the developer's responses.
func (a *AppStore) Poll(ctx context.Context, cursor string) (store.Batch, error) {
	cur := parseAppStoreCursor(cursor)
	now := a.fetch.Now().UTC()
	b := store.Batch{Source: a.name, Kind: KindAppStore, At: now, Coverage: a.Coverage()}
	var (
		problems []error
		anyOK    bool
		reviews  []appStoreReview
		seen     = map[string]bool{}
		limited  error // set once the feed host said 429: leave it alone
	)
	next := appStoreCursor{Countries: map[string]*appStoreCountryCursor{}, Index: cur.Index}
	for _, cc := range a.countries {
		old := cur.Countries[cc]
		if old == nil {
			old = &appStoreCountryCursor{}
		}
		next.Countries[cc] = old
		if limited != nil {
			problems = append(problems, fmt.Errorf("storefront %s: not read: the feed host is rate limiting", cc))
			continue
		}
		got, nc, probs, err := a.pollCountry(ctx, cc, *old, now)
		if ctxErr := ctx.Err(); ctxErr != nil {
			return store.Batch{}, fmt.Errorf("appstore source %q: %w", a.name, ctxErr)
		}
		problems = append(problems, probs...)
		if err != nil {
			problems = append(problems, err)
			if isRateLimited(err) {
				limited = err
			}
		} else {
			anyOK = true
			next.Countries[cc] = &nc
		}
		for _, r := range got {
			if !seen[r.m.NativeID] {
				seen[r.m.NativeID] = true
				reviews = append(reviews, r)
			}
		}
	}
	for _, r := range reviews {
		b.Mentions = append(b.Mentions, r.m)
		if r.votes != nil {
			b.Samples = append(b.Samples, store.MentionSample{Key: store.MentionKey(KindAppStore, r.m.NativeID), Sample: store.Sample{At: now, Likes: r.votes}})
		}
	}

	if a.connect != nil {
		next.Index = appStoreIndexAdd(cur.Index, reviews)
		idx := appStoreIndexMap(next.Index)
		replies, probs, err := a.connectReplies(ctx, now, func(nick, title string) (string, string) {
			e := idx[appStoreFingerprint(nick, title)]
			return e.id, storefrontLang(e.country)
		})
		if ctxErr := ctx.Err(); ctxErr != nil {
			return store.Batch{}, fmt.Errorf("appstore source %q: %w", a.name, ctxErr)
		}
		problems = append(problems, probs...)
		if err != nil {
			problems = append(problems, err)
		} else {
			anyOK = true
		}
		b.Mentions = append(b.Mentions, replies...)
	}

	enc, err := json.Marshal(next)
	if err != nil {
		return store.Batch{}, fmt.Errorf("appstore source %q: encode cursor: %w", a.name, err)
	}
	s := string(enc)
	b.Cursor = &s
	return finishPoll(b, problems, anyOK)
}

// pollCountry reads one storefront's pages from the newest until the
// high-water mark. Reviews read are returned even when a later page fails;
// the storefront's cursor then stays where it was (err != nil), so the
// pages not read are read next time and nothing is skipped.
func (a *AppStore) pollCountry(ctx context.Context, cc string, old appStoreCountryCursor, now time.Time) (reviews []appStoreReview, next appStoreCountryCursor, problems []error, err error) {
	next = old
	for page := 1; page <= a.maxPages; page++ {
		req := Request{URL: a.feedURL(cc, page), Header: http.Header{"Accept": {"application/atom+xml, application/xml;q=0.9, */*;q=0.5"}}}
		if page == 1 {
			req.ETag, req.LastModified = old.ETag, old.LastModified
		}
		got, resp, probs, err := a.readPage(ctx, cc, page, req, now)
		problems = append(problems, probs...)
		if err != nil {
			return reviews, old, problems, err
		}
		if resp.NotModified {
			// Page 1 unchanged: nothing new in this storefront.
			return nil, old, problems, nil
		}
		if page == 1 {
			next.ETag, next.LastModified = resp.ETag, resp.LastModified
		}
		reviews = append(reviews, got...)
		if len(got) == 0 || reachedHighWater(got, old) {
			break
		}
	}
	// The new high-water mark: the newest dated review read.
	for _, r := range reviews {
		if !r.dated {
			continue
		}
		switch t := r.m.CreatedAt; {
		case t.After(next.Newest):
			next.Newest, next.NewestIDs = t, []string{r.m.NativeID}
		case t.Equal(next.Newest) && !slices.Contains(next.NewestIDs, r.m.NativeID):
			next.NewestIDs = append(next.NewestIDs, r.m.NativeID)
		}
	}
	return reviews, next, problems, nil
}

// reachedHighWater reports whether a page reaches reviews already read: one
// dated before the mark, or at the mark and already seen. Every review after
// it on later pages is older still.
func reachedHighWater(page []appStoreReview, c appStoreCountryCursor) bool {
	if c.Newest.IsZero() {
		return false
	}
	for _, r := range page {
		if !r.dated {
			continue
		}
		if r.m.CreatedAt.Before(c.Newest) || (r.m.CreatedAt.Equal(c.Newest) && slices.Contains(c.NewestIDs, r.m.NativeID)) {
			return true
		}
	}
	return false
}

func (a *AppStore) feedURL(cc string, page int) string {
	return fmt.Sprintf("%s/%s/rss/customerreviews/page=%d/id=%s/sortby=mostrecent/xml", a.feedBase.String(), cc, page, a.appID)
}

// readPage fetches and parses one feed page. A page that fails to fetch or
// parse is an error; a bad entry in a good page is a problem, and the other
// entries are kept.
func (a *AppStore) readPage(ctx context.Context, cc string, page int, req Request, now time.Time) ([]appStoreReview, *Response, []error, error) {
	resp, err := a.fetch.Get(ctx, req)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("storefront %s page %d: %w", cc, page, err)
	}
	if resp.NotModified {
		return nil, resp, nil, nil
	}
	feed, err := parseFeed(resp.Body)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("storefront %s page %d: %w: %s", cc, page, ErrMalformedFeed, describeParseError(err, resp))
	}
	var (
		out      []appStoreReview
		problems []error
	)
	for i, it := range feed.Items {
		if it == nil {
			continue
		}
		r, skip, err := a.review(it, cc, now)
		switch {
		case err != nil:
			problems = append(problems, fmt.Errorf("storefront %s page %d entry %d: %w", cc, page, i+1, err))
		case !skip:
			out = append(out, r)
		}
	}
	return out, resp, problems, nil
}

// review maps one feed entry. skip is true for the app's own metadata entry,
// which older feeds put first; an entry that claims to be a review but
// cannot be read is an error.
func (a *AppStore) review(it *gofeed.Item, cc string, now time.Time) (r appStoreReview, skip bool, err error) {
	im := it.Extensions["im"]
	ratingExt := im["rating"]
	if len(ratingExt) == 0 {
		// The metadata entry carries im:name, im:artist, im:price...;
		// a review always carries im:rating.
		if len(im["name"]) > 0 || len(im["artist"]) > 0 || len(im["price"]) > 0 || len(im["releaseDate"]) > 0 {
			return r, true, nil
		}
		return r, false, fmt.Errorf("no im:rating: neither a review nor the app's metadata")
	}
	id := strings.TrimSpace(it.GUID)
	switch {
	case id == "":
		return r, false, errors.New("review without an id")
	case len(id) > 64 || strings.ContainsFunc(id, isHiddenRune) || strings.ContainsAny(id, " \t/"):
		return r, false, fmt.Errorf("review id %q is not an App Store review id", truncateUTF8(cleanText(id), 40))
	}
	rating := imRating(it)
	if rating == nil {
		return r, false, fmt.Errorf("review %s: im:rating %q is not 1 to 5", id, truncateUTF8(cleanText(ratingExt[0].Value), 20))
	}
	created, dated := itemTime(it, now)
	body := htmlToText(it.Content)
	if body == "" {
		body = htmlToText(it.Description)
	}
	author := ""
	if len(it.Authors) > 0 && it.Authors[0] != nil {
		author = truncateUTF8(htmlToText(it.Authors[0].Name), maxAuthorBytes)
	}
	// The review page link is the storefront's, built here rather than
	// taken from the feed, so a hostile feed cannot plant a link.
	r = appStoreReview{
		country: cc,
		dated:   dated,
		m: store.Mention{
			Kind:      KindAppStore,
			Source:    a.name,
			NativeID:  id,
			URL:       a.reviewsURL(cc),
			Brand:     a.brand,
			Author:    store.Author{Handle: author, DisplayName: author},
			Title:     truncateUTF8(htmlToText(it.Title), maxTitleBytes),
			Text:      truncateUTF8(body, maxTextBytes),
			Rating:    rating,
			Lang:      storefrontLang(cc),
			CreatedAt: created,
		},
	}
	if v := im["voteSum"]; len(v) > 0 {
		if n, err := strconv.ParseInt(strings.TrimSpace(v[0].Value), 10, 64); err == nil && n >= 0 {
			r.votes = &n
		}
	}
	return r, false, nil
}

// reviewsURL is the storefront's review page for the app: Apple gives
// reviews no page of their own.
func (a *AppStore) reviewsURL(cc string) string {
	return fmt.Sprintf("https://apps.apple.com/%s/app/id%s?see-all=reviews", cc, a.appID)
}

// storefrontLangs maps storefronts to the language most of their reviews
// are written in. It is a hint (an Indonesian storefront gets English
// reviews too): the scorer still detects each text's language.
var storefrontLangs = map[string]string{
	"id": "id", "my": "ms", "bn": "ms",
	"us": "en", "gb": "en", "au": "en", "ca": "en", "nz": "en", "ie": "en", "sg": "en", "in": "en", "ph": "en", "za": "en", "ng": "en", "ke": "en",
	"jp": "ja", "kr": "ko", "cn": "zh", "tw": "zh", "hk": "zh", "th": "th", "vn": "vi",
	"de": "de", "at": "de", "fr": "fr", "be": "fr", "es": "es", "mx": "es", "ar": "es", "co": "es", "cl": "es", "pe": "es",
	"br": "pt", "pt": "pt", "it": "it", "nl": "nl", "se": "sv", "no": "nb", "dk": "da", "fi": "fi", "pl": "pl", "cz": "cs",
	"ru": "ru", "ua": "uk", "tr": "tr", "sa": "ar", "ae": "ar", "eg": "ar", "il": "he", "gr": "el", "hu": "hu", "ro": "ro",
}

func storefrontLang(cc string) string { return storefrontLangs[cc] }

// appStoreFingerprint identifies a review across the feed and App Store
// Connect, whose ids differ: the reviewer's nickname (unique per Apple
// account) and the title, both as Pantau stores them.
func appStoreFingerprint(nickname, title string) string {
	n := strings.ToLower(truncateUTF8(cleanText(nickname), maxAuthorBytes))
	t := strings.ToLower(truncateUTF8(cleanText(title), maxTitleBytes))
	sum := sha256.Sum256([]byte(n + "\x00" + t))
	return fmt.Sprintf("%x", sum[:8])
}

// appStoreIndexAdd adds reviews to the index, newest last, capped.
func appStoreIndexAdd(index []string, reviews []appStoreReview) []string {
	out := slices.Clone(index)
	have := appStoreIndexMap(out)
	for _, r := range reviews {
		fp := appStoreFingerprint(r.m.Author.Handle, r.m.Title)
		if have[fp].id == r.m.NativeID {
			continue
		}
		have[fp] = appStoreIndexed{id: r.m.NativeID, country: r.country}
		out = append(out, fp+":"+r.country+":"+r.m.NativeID)
	}
	if len(out) > appStoreIndexMax {
		out = out[len(out)-appStoreIndexMax:]
	}
	return out
}

type appStoreIndexed struct{ id, country string }

// appStoreIndexMap reads the index; later entries win.
func appStoreIndexMap(index []string) map[string]appStoreIndexed {
	m := make(map[string]appStoreIndexed, len(index))
	for _, e := range index {
		if parts := strings.SplitN(e, ":", 3); len(parts) == 3 {
			m[parts[0]] = appStoreIndexed{country: parts[1], id: parts[2]}
		}
	}
	return m
}

// Refresh re-reads the given reviews: their "helpful" votes from the feed
// and, with Connect credentials, the developer's responses to them.
func (a *AppStore) Refresh(ctx context.Context, mentions []store.Mention) (store.Batch, error) {
	now := a.fetch.Now().UTC()
	b := store.Batch{Source: a.name, Kind: KindAppStore, At: now}
	want := map[string]store.Mention{}
	oldest := now
	for _, m := range mentions {
		if m.Kind != KindAppStore || m.ByBrand || m.NativeID == "" {
			continue
		}
		want[m.NativeID] = m
		if m.CreatedAt.Before(oldest) {
			oldest = m.CreatedAt
		}
	}
	if len(want) == 0 {
		return b, nil
	}
	var (
		problems []error
		anyOK    bool
	)
	// Votes: read each storefront from its newest page until every
	// review asked for was found or the pages are older than the oldest.
	found := map[string]bool{}
countries:
	for _, cc := range a.countries {
		for page := 1; page <= a.maxPages && len(found) < len(want); page++ {
			got, _, probs, err := a.readPage(ctx, cc, page, Request{URL: a.feedURL(cc, page)}, now)
			problems = append(problems, probs...)
			if err != nil {
				problems = append(problems, err)
				if isRateLimited(err) {
					break countries
				}
				break
			}
			anyOK = true
			older := len(got) == 0
			for _, r := range got {
				if _, ok := want[r.m.NativeID]; ok && !found[r.m.NativeID] && r.votes != nil {
					found[r.m.NativeID] = true
					b.Samples = append(b.Samples, store.MentionSample{Key: store.MentionKey(KindAppStore, r.m.NativeID), Sample: store.Sample{At: now, Likes: r.votes}})
				}
				if r.dated && r.m.CreatedAt.Before(oldest) {
					older = true
				}
			}
			if older {
				break
			}
		}
	}
	if a.connect != nil {
		idx := map[string]store.Mention{}
		for _, m := range want {
			idx[appStoreFingerprint(m.Author.Handle, m.Title)] = m
		}
		replies, probs, err := a.connectReplies(ctx, now, func(nick, title string) (string, string) {
			m := idx[appStoreFingerprint(nick, title)]
			return m.NativeID, m.Lang
		})
		problems = append(problems, probs...)
		if err != nil {
			problems = append(problems, err)
		} else {
			anyOK = true
		}
		b.Mentions = append(b.Mentions, replies...)
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return store.Batch{}, fmt.Errorf("appstore source %q: %w", a.name, ctxErr)
	}
	return finishPoll(b, problems, anyOK)
}

// appStoreConnect talks to the App Store Connect API with an ES256 token.
type appStoreConnect struct {
	issuer, keyID string
	key           *ecdsa.PrivateKey
	base          *url.URL
	lookback      time.Duration

	mu       sync.Mutex
	token    string
	tokenExp time.Time
}

// bearer returns a valid token, signing a new one when the cached one is
// about to expire.
func (c *appStoreConnect) bearer(now time.Time) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && now.Before(c.tokenExp.Add(-appStoreTokenRenew)) {
		return c.token, nil
	}
	exp := now.Add(appStoreTokenLifetime)
	tok, err := signJWT(
		map[string]string{"alg": "ES256", "kid": c.keyID, "typ": "JWT"},
		map[string]any{"iss": c.issuer, "iat": now.Unix(), "exp": exp.Unix(), "aud": "appstoreconnect-v1"},
		func(digest []byte) ([]byte, error) { return signES256(c.key, digest) },
	)
	if err != nil {
		return "", err
	}
	c.token, c.tokenExp = tok, exp
	return tok, nil
}

// forget drops the cached token after Apple refused it.
func (c *appStoreConnect) forget() {
	c.mu.Lock()
	c.token = ""
	c.mu.Unlock()
}

// signJWT builds a compact JWS: base64url(header).base64url(claims).sig,
// where sign gets the SHA-256 digest of the first two parts.
func signJWT(header map[string]string, claims map[string]any, sign func(digest []byte) ([]byte, error)) (string, error) {
	h, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	digest := sha256.Sum256([]byte(input))
	sig, err := sign(digest[:])
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return input + "." + enc.EncodeToString(sig), nil
}

// signES256 signs a digest the JWS way (RFC 7518 3.4): r and s as two
// 32-byte big-endian numbers, not the ASN.1 that crypto/ecdsa produces.
func signES256(k *ecdsa.PrivateKey, digest []byte) ([]byte, error) {
	r, s, err := ecdsa.Sign(rand.Reader, k, digest)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 64)
	r.FillBytes(out[:32])
	s.FillBytes(out[32:])
	return out, nil
}

// ascReviewsDoc is a page of App Store Connect's customerReviews (JSON:API).
// Data and Included stay raw so one bad element is skipped, not the page.
type ascReviewsDoc struct {
	Data     []json.RawMessage `json:"data"`
	Included []json.RawMessage `json:"included"`
	Links    struct {
		Next string `json:"next"`
	} `json:"links"`
}

type ascReview struct {
	Type       string `json:"type"`
	ID         string `json:"id"`
	Attributes struct {
		Rating           int    `json:"rating"`
		Title            string `json:"title"`
		Body             string `json:"body"`
		ReviewerNickname string `json:"reviewerNickname"`
		CreatedDate      string `json:"createdDate"`
		Territory        string `json:"territory"`
	} `json:"attributes"`
	Relationships struct {
		Response struct {
			Data *struct {
				Type string `json:"type"`
				ID   string `json:"id"`
			} `json:"data"`
		} `json:"response"`
	} `json:"relationships"`
}

type ascResponse struct {
	Type       string `json:"type"`
	ID         string `json:"id"`
	Attributes struct {
		ResponseBody     string `json:"responseBody"`
		LastModifiedDate string `json:"lastModifiedDate"`
		State            string `json:"state"`
	} `json:"attributes"`
}

// connectReplies lists the reviews of the lookback that have a published
// response and turns each response whose review match finds into a brand
// reply. match returns the feed review's id and language for a nickname
// and title, or "".
func (a *AppStore) connectReplies(ctx context.Context, now time.Time, match func(nick, title string) (id, lang string)) ([]store.Mention, []error, error) {
	c := a.connect
	q := url.Values{}
	q.Set("exists[publishedResponse]", "true")
	q.Set("sort", "-createdDate")
	q.Set("include", "response")
	q.Set("limit", "200")
	q.Set("fields[customerReviews]", "rating,title,body,reviewerNickname,createdDate,territory,response")
	q.Set("fields[customerReviewResponses]", "responseBody,lastModifiedDate,state")
	next := c.base.JoinPath("v1", "apps", a.appID, "customerReviews").String() + "?" + q.Encode()
	since := now.Add(-c.lookback)

	var (
		out      []store.Mention
		problems []error
		seen     = map[string]bool{}
	)
	for page := 1; page <= appStoreConnectMaxPages && next != ""; page++ {
		doc, err := a.connectGet(ctx, next, now)
		if err != nil {
			return out, problems, fmt.Errorf("App Store Connect reviews page %d: %w", page, err)
		}
		responses := map[string]ascResponse{}
		for i, raw := range doc.Included {
			var r ascResponse
			if err := json.Unmarshal(raw, &r); err != nil {
				problems = append(problems, fmt.Errorf("App Store Connect page %d included[%d]: not a response object: %s", page, i, jsonProblem(err)))
				continue
			}
			if r.Type == "customerReviewResponses" && r.ID != "" {
				responses[r.ID] = r
			}
		}
		older := len(doc.Data) == 0
		for i, raw := range doc.Data {
			var rv ascReview
			if err := json.Unmarshal(raw, &rv); err != nil {
				problems = append(problems, fmt.Errorf("App Store Connect page %d data[%d]: not a customer review: %s", page, i, jsonProblem(err)))
				continue
			}
			created, err := time.Parse(time.RFC3339, rv.Attributes.CreatedDate)
			if err != nil {
				problems = append(problems, fmt.Errorf("App Store Connect review %s: createdDate %q is not a date", truncateUTF8(cleanText(rv.ID), 60), truncateUTF8(cleanText(rv.Attributes.CreatedDate), 40)))
				continue
			}
			if created.Before(since) {
				older = true
			}
			rel := rv.Relationships.Response.Data
			if rel == nil {
				continue
			}
			resp, ok := responses[rel.ID]
			if !ok || resp.Attributes.State != "PUBLISHED" || seen[resp.ID] {
				// Pending responses are not public yet: the customer has
				// not been answered.
				continue
			}
			reviewID, lang := match(rv.Attributes.ReviewerNickname, rv.Attributes.Title)
			if reviewID == "" {
				continue // a review outside the feed's window or storefronts
			}
			m, err := a.replyMention(resp, reviewID, lang, now)
			if err != nil {
				problems = append(problems, err)
				continue
			}
			seen[resp.ID] = true
			out = append(out, m)
		}
		if older {
			break
		}
		next, err = a.connectNext(doc.Links.Next)
		if err != nil {
			return out, problems, err
		}
	}
	return out, problems, nil
}

func (a *AppStore) replyMention(r ascResponse, reviewID, lang string, now time.Time) (store.Mention, error) {
	id := strings.TrimSpace(r.ID)
	if len(id) > 128 || strings.ContainsFunc(id, isHiddenRune) {
		return store.Mention{}, fmt.Errorf("App Store Connect response id %q is not an id", truncateUTF8(cleanText(id), 40))
	}
	at, err := time.Parse(time.RFC3339, r.Attributes.LastModifiedDate)
	if err != nil {
		return store.Mention{}, fmt.Errorf("App Store Connect response %s: lastModifiedDate %q is not a date", id, truncateUTF8(cleanText(r.Attributes.LastModifiedDate), 40))
	}
	if at.After(now.Add(maxFutureSkew)) {
		at = now
	}
	reviewKey := store.MentionKey(KindAppStore, reviewID)
	return store.Mention{
		Kind:       KindAppStore,
		Source:     a.name,
		NativeID:   "response:" + id,
		Brand:      a.brand,
		Author:     store.Author{Handle: a.replyHandle, DisplayName: a.replyHandle},
		Text:       truncateUTF8(cleanText(r.Attributes.ResponseBody), maxTextBytes),
		Lang:       lang,
		CreatedAt:  at.UTC(),
		ReplyTo:    reviewKey,
		ThreadRoot: reviewKey,
		ByBrand:    true,
	}, nil
}

// connectNext checks the next-page link: the token goes with it, so it must
// stay on the Connect host.
func (a *AppStore) connectNext(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != a.connect.base.Scheme || !strings.EqualFold(u.Host, a.connect.base.Host) {
		return "", fmt.Errorf("App Store Connect: refusing a next-page link to another host (%s)", redactURL(raw))
	}
	return u.String(), nil
}

// connectGet fetches one Connect page, signing a new token once if Apple
// refuses the cached one.
func (a *AppStore) connectGet(ctx context.Context, u string, now time.Time) (*ascReviewsDoc, error) {
	var resp *Response
	for attempt := 0; ; attempt++ {
		tok, err := a.connect.bearer(now)
		if err != nil {
			return nil, err
		}
		resp, err = a.fetch.Get(ctx, Request{URL: u, Header: http.Header{
			"Accept":        {"application/json"},
			"Authorization": {"Bearer " + tok},
		}})
		var se *StatusError
		if errors.As(err, &se) && se.Code == http.StatusUnauthorized && attempt == 0 {
			a.connect.forget()
			continue
		}
		if err != nil {
			// The fetch layer scrubs the token from what it keeps of an
			// error body, but a body cut at its size limit can hold a
			// token's first part: scrub partial copies too.
			return nil, scrubError(err, tok)
		}
		break
	}
	var doc ascReviewsDoc
	if err := json.Unmarshal(resp.Body, &doc); err != nil {
		return nil, fmt.Errorf("not a customerReviews JSON:API document: %s", jsonProblem(err))
	}
	return &doc, nil
}

// jsonProblem describes a JSON error without quoting the input: a syntax
// error's text holds a character of it, which may be part of a secret.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case strings.Contains(err.Error(), "unexpected end of JSON input"):
		return "truncated JSON"
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "the top level"
		}
		return fmt.Sprintf("%s is a JSON %s, expected %s", field, te.Value, te.Type)
	}
	return "invalid JSON"
}
