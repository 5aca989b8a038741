package collectors

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/store/secret"
)

// KindBluesky is the source kind for Bluesky: the Jetstream firehose with
// local matching; searchPosts backfill with an app password.
const KindBluesky = "bluesky"

const (
	DefaultBlueskyAppView = "https://public.api.bsky.app"
	DefaultBlueskyPDS     = "https://bsky.social"
	// bskyBatch is the most URIs or actors getPosts and getProfiles take.
	bskyBatch = 25
	// bskyProfileTTL: follower counts move slowly; a day-old count is
	// good enough for "author reach" and saves most look-ups.
	bskyProfileTTL   = 24 * time.Hour
	bskyProfileCache = 50000
	// bskySearchPages and bskySearchLimit bound one query's backfill.
	bskySearchPages = 5
	bskySearchLimit = 100
	// bskySearchOverlap: posts show up in search a little after they
	// are made, so each search starts this far before the newest post
	// already found (duplicates are dropped by uri).
	bskySearchOverlap = 15 * time.Minute
	// bskyFirstBackfill is how far back the very first search looks.
	bskyFirstBackfill = 24 * time.Hour
	// bskyLoginFloor: createSession is limited to 30 per 5 minutes and
	// 300 a day per account; never log in more often than this.
	bskyLoginFloor = 5 * time.Minute
	// bskyThreadDepth is how deep getPostThread looks for brand replies.
	bskyThreadDepth    = 6
	bskyMaxThreadNodes = 1000
	bskyMaxPostBytes   = 256 << 10
)

var (
	// bskyPDSRate: the PDS allows 3000 requests per 5 minutes per IP (10
	// a second); half of that leaves room for other clients on the IP.
	bskyPDSRate = rate.Limit(5)
	// bskyAppViewRate: the AppView is "generous"; stay polite anyway.
	bskyAppViewRate = rate.Limit(10)
)

var bskyNSIDPattern = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]*(\.[a-zA-Z0-9-]+)+(\.\*)?$`)

// BlueskyConfig is the "bluesky:" section of a bluesky source. Every field
// is optional.
//
//	bluesky:
//	  jetstream: wss://jetstream2.us-east.bsky.network/subscribe
//	  appview: https://public.api.bsky.app
//	  pds: https://bsky.social
//	  identifier: kilatmonitor.bsky.social       # for searchPosts backfill
//	  app_password_file: /run/secrets/bsky       # an app password, never the main one
//	  search: ["kilat express"]                  # default: the brand's terms
//	  collections: [app.bsky.feed.post]
type BlueskyConfig struct {
	// Jetstream is the v1 /subscribe websocket URL.
	Jetstream string `yaml:"jetstream"`
	// AppView serves getPosts, getProfiles and getPostThread without
	// auth.
	AppView string `yaml:"appview"`
	// PDS is where the account logs in; searchPosts goes through it.
	PDS string `yaml:"pds"`
	// Identifier (handle, DID or e-mail) and AppPassword (or the file
	// AppPasswordFile names) enable searchPosts backfill.
	Identifier      string        `yaml:"identifier"`
	AppPassword     secret.Secret `yaml:"app_password"`
	AppPasswordFile string        `yaml:"app_password_file"`
	// Search are the searchPosts queries; empty means the brand's terms.
	Search []string `yaml:"search"`
	// Collections are Jetstream's wantedCollections; empty means
	// app.bsky.feed.post (the only collection Pantau reads).
	Collections []string `yaml:"collections"`
}

func (c *BlueskyConfig) validate(path string) []error {
	if c == nil {
		return nil // every field has a default
	}
	var errs []error
	checkURL := func(field, raw string, schemes ...string) {
		if strings.TrimSpace(raw) == "" {
			return
		}
		u, err := url.Parse(strings.TrimSpace(raw))
		if err != nil || !slices.Contains(schemes, u.Scheme) || u.Host == "" {
			errs = append(errs, fieldErr(path+"."+field, "must be an absolute %s URL (got %s)", strings.Join(schemes, " or "), redactURL(raw)))
		}
	}
	checkURL("jetstream", c.Jetstream, "wss", "ws")
	checkURL("appview", c.AppView, "https", "http")
	checkURL("pds", c.PDS, "https", "http")
	pw, err := secret.Resolve(c.AppPassword, c.AppPasswordFile)
	if err != nil {
		errs = append(errs, fieldErr(path+".app_password_file", "%v", err))
	}
	switch {
	case strings.TrimSpace(c.Identifier) != "" && err == nil && !pw.IsSet():
		errs = append(errs, fieldErr(path+".app_password", "required with identifier (or app_password_file)"))
	case strings.TrimSpace(c.Identifier) == "" && pw.IsSet():
		errs = append(errs, fieldErr(path+".identifier", "required with app_password"))
	}
	errs = append(errs, checkTerms(path+".search", c.Search, false)...)
	for i, col := range c.Collections {
		if !bskyNSIDPattern.MatchString(col) {
			errs = append(errs, fieldErr(fmt.Sprintf("%s.collections[%d]", path, i), "%q is not a collection NSID like app.bsky.feed.post", truncateUTF8(col, 80)))
		}
	}
	if len(c.Collections) > 0 && !slices.ContainsFunc(c.Collections, func(col string) bool {
		return col == bskyPostCollection || col == "app.bsky.feed.*" || col == "app.bsky.*"
	}) {
		errs = append(errs, fieldErr(path+".collections", "must include %s: Pantau only reads posts", bskyPostCollection))
	}
	return errs
}

// Bluesky collects one brand's mentions from Bluesky: live from Jetstream
// (Stream), backfilled through searchPosts when it has an app password
// (Poll), refreshed through the AppView (Refresh).
type Bluesky struct {
	name        string
	brand       string
	fetch       *Fetcher
	jetstream   *url.URL
	appview     *url.URL
	pds         *url.URL
	identifier  string
	password    secret.Secret
	collections []string
	search      []string
	terms       []string
	keywords    *keywordMatcher
	exclude     *keywordMatcher
	// accounts are the brand's accounts as configured: DIDs or handles.
	accounts []string

	log *slog.Logger
	// Stream pacing; tests shorten them.
	tick        time.Duration
	cursorTicks int
	rewind      time.Duration

	seen     *socialFIFO[string, int64] // emitted at:// URI -> time_us
	profiles *socialFIFO[string, bskyProfile]

	mu        sync.Mutex
	durable   jetCursor
	brandDIDs map[string]bool
	handles   []string // brand handles, lower-cased
	resolved  map[string]bool
	session   *bskySession
	lastLogin time.Time
	problems  skipLog
}

type bskyProfile struct {
	DID         string `json:"did"`
	Handle      string `json:"handle"`
	DisplayName string `json:"displayName"`
	Followers   *int64 `json:"followersCount"`
	fetched     time.Time
}

type bskySession struct {
	access, refresh string
	expires         time.Time
}

var (
	_ Collector = (*Bluesky)(nil)
	_ Streamer  = (*Bluesky)(nil)
	_ Refresher = (*Bluesky)(nil)
	_ Coverage  = (*Bluesky)(nil)
)

// NewBluesky builds the collector for a "bluesky" source. cfg should have
// passed Validate.
func NewBluesky(cfg SourceConfig, brand Brand, f *Fetcher) (*Bluesky, error) {
	if f == nil {
		return nil, errors.New("bluesky: nil Fetcher")
	}
	bc := BlueskyConfig{}
	if cfg.Bluesky != nil {
		bc = *cfg.Bluesky
	}
	fail := func(format string, args ...any) (*Bluesky, error) {
		return nil, fmt.Errorf("bluesky source %q: "+format, append([]any{cfg.Name}, args...)...)
	}
	parse := func(field, raw, def string) (*url.URL, error) {
		if strings.TrimSpace(raw) == "" {
			raw = def
		}
		u, err := url.Parse(strings.TrimSpace(raw))
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("bluesky source %q: %s: bad URL %s", cfg.Name, field, redactURL(raw))
		}
		u.Path = strings.TrimRight(u.Path, "/")
		return u, nil
	}
	js, err := parse("jetstream", bc.Jetstream, DefaultJetstreamURL)
	if err != nil {
		return nil, err
	}
	av, err := parse("appview", bc.AppView, DefaultBlueskyAppView)
	if err != nil {
		return nil, err
	}
	pds, err := parse("pds", bc.PDS, DefaultBlueskyPDS)
	if err != nil {
		return nil, err
	}
	pw, err := secret.Resolve(bc.AppPassword, bc.AppPasswordFile)
	if err != nil {
		return fail("app password: %v", err)
	}
	terms := socialFirstList(cfg.Keywords, brand.Terms)
	b := &Bluesky{
		name:        cfg.Name,
		brand:       brand.Name,
		fetch:       f,
		jetstream:   js,
		appview:     av,
		pds:         pds,
		identifier:  strings.TrimSpace(bc.Identifier),
		password:    pw,
		collections: socialFirstList(bc.Collections, []string{bskyPostCollection}),
		search:      socialFirstList(bc.Search, brand.Terms),
		exclude:     newKeywordMatcher(append(slices.Clone(cfg.Exclude), brand.Exclude...)),
		log:         slog.New(slog.DiscardHandler),
		tick:        jetFlushEvery,
		cursorTicks: jetCursorTicks,
		rewind:      jetRewind,
		seen:        newSocialFIFO[string, int64](jetSeenSize),
		profiles:    newSocialFIFO[string, bskyProfile](bskyProfileCache),
		durable:     parseJetCursor(""),
		brandDIDs:   map[string]bool{},
		resolved:    map[string]bool{},
	}
	for _, a := range brand.Accounts[KindBluesky] {
		a = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(a), "@"))
		if a == "" {
			continue
		}
		b.accounts = append(b.accounts, a)
		if strings.HasPrefix(a, "did:") {
			b.brandDIDs[a] = true
		} else {
			b.handles = append(b.handles, a)
		}
	}
	// A handle written in a post ("@kilatcare.bsky.social") mentions the
	// brand even when the client made no facet of it.
	b.terms = append(slices.Clone(terms), b.handles...)
	b.keywords = newKeywordMatcher(b.terms)
	if b.password.IsSet() && b.identifier == "" {
		return fail("app_password needs identifier")
	}
	if f.rate != rate.Inf {
		f.LimitHost(pds.Host, bskyPDSRate, 10)
		f.LimitHost(av.Host, bskyAppViewRate, 10)
	}
	return b, nil
}

// SetLogger sets where skipped items (malformed events, oversized frames)
// are reported; the default discards.
func (b *Bluesky) SetLogger(l *slog.Logger) {
	if l != nil {
		b.log = l
	}
}

func (b *Bluesky) Name() string { return b.name }
func (b *Bluesky) Kind() string { return KindBluesky }

// CanStream is always true: Jetstream needs no account.
func (b *Bluesky) CanStream() bool { return true }

// Coverage says what the source sees, in plain words.
func (b *Bluesky) Coverage() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "Bluesky: every public post, live from the Jetstream firehose (%s), matched in Pantau against %s", b.jetstream.Host, socialQuoted(b.terms))
	if len(b.accounts) > 0 {
		fmt.Fprintf(&sb, " and mentions of %s", strings.Join(b.accounts, ", "))
	}
	sb.WriteString(". Brand replies come from the same stream and from thread checks on the AppView.")
	if b.password.IsSet() {
		fmt.Fprintf(&sb, " Each poll also searches through %s for %s to fill gaps.", b.pds.Host, socialQuoted(b.search))
	} else {
		sb.WriteString(" Without an app password there is no search backfill: polls add nothing, and posts made while Pantau was disconnected for longer than Jetstream's replay window (about 36 hours) are missed.")
	}
	return sb.String()
}

func (b *Bluesky) startCursor(stored string) jetCursor {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.durable.merge(parseJetCursor(stored))
	return b.durable.clone()
}

func (b *Bluesky) acknowledge(c jetCursor) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.durable.merge(c)
}

func (b *Bluesky) problem(err error) { b.problems.add(b.log, KindBluesky, b.name, err) }

func (b *Bluesky) takeProblems() []error { return b.problems.take() }

func (b *Bluesky) isBrandDID(did string) bool {
	if did == "" {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.brandDIDs[strings.ToLower(did)]
}

func (b *Bluesky) newJetFilter() *jetFilter {
	b.mu.Lock()
	dids := make([]string, 0, len(b.brandDIDs))
	for d := range b.brandDIDs {
		dids = append(dids, d)
	}
	b.mu.Unlock()
	return newJetFilter(b.terms, b.handles, dids)
}

// resolveBrand turns the brand's handles into DIDs (Jetstream only names
// authors by DID), through getProfiles. A failure is reported and retried
// at the next Stream or Refresh; mentions of the handle in text still
// match meanwhile.
func (b *Bluesky) resolveBrand(ctx context.Context) {
	var missing []string
	b.mu.Lock()
	for _, h := range b.handles {
		if !b.resolved[h] {
			missing = append(missing, h)
		}
	}
	b.mu.Unlock()
	if len(missing) == 0 {
		return
	}
	profiles, err := b.getProfiles(ctx, missing)
	if err != nil {
		b.problem(fmt.Errorf("resolve brand handles: %w", err))
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range profiles {
		if slices.Contains(missing, strings.ToLower(p.Handle)) && bskyValidDID(p.DID) {
			b.brandDIDs[strings.ToLower(p.DID)] = true
			b.resolved[strings.ToLower(p.Handle)] = true
		}
	}
}

// xrpc does one GET of an XRPC method on host, with the session's token
// when auth is set.
func (b *Bluesky) xrpc(ctx context.Context, host *url.URL, method string, q url.Values, auth string) (*Response, error) {
	u := *host
	u.Path = host.Path + "/xrpc/" + method
	u.RawQuery = q.Encode()
	h := http.Header{"Accept": {"application/json"}}
	if auth != "" {
		h.Set("Authorization", "Bearer "+auth)
	}
	resp, err := b.fetch.Get(ctx, Request{URL: u.String(), Header: h})
	if err != nil {
		return nil, bskyRateLimit(err, b.fetch.Now())
	}
	return resp, nil
}

// bskyRateLimit fills a 429's RetryAfter from RateLimit-Reset when the
// server sent no Retry-After. Bluesky's PDS sends a Unix time in seconds;
// the IETF draft it follows says seconds from now: a value that can only
// be a date is read as one.
func bskyRateLimit(err error, now time.Time) error {
	var se *StatusError
	if !errors.As(err, &se) || se.RetryAfter > 0 || se.Code != http.StatusTooManyRequests {
		return err
	}
	v, perr := strconv.ParseInt(strings.TrimSpace(se.Header.Get("RateLimit-Reset")), 10, 64)
	if perr != nil || v <= 0 {
		return err
	}
	var d time.Duration
	if v > 1_000_000_000 {
		d = time.Unix(v, 0).Sub(now)
	} else {
		d = time.Duration(min(v, int64(maxRetryAfter/time.Second))) * time.Second
	}
	se.RetryAfter = min(max(d, 0), maxRetryAfter)
	return err
}

// getProfiles returns the profiles of actors (DIDs or handles), from the
// cache when fresh, else from the AppView 25 at a time.
func (b *Bluesky) getProfiles(ctx context.Context, actors []string) (map[string]bskyProfile, error) {
	now := b.fetch.Now()
	out := map[string]bskyProfile{}
	var want []string
	for _, a := range actors {
		if p, ok := b.profiles.get(a); ok && now.Sub(p.fetched) < bskyProfileTTL {
			out[a] = p
		} else if !slices.Contains(want, a) {
			want = append(want, a)
		}
	}
	for start := 0; start < len(want); start += bskyBatch {
		chunk := want[start:min(start+bskyBatch, len(want))]
		resp, err := b.xrpc(ctx, b.appview, "app.bsky.actor.getProfiles", url.Values{"actors": chunk}, "")
		if err != nil {
			return out, err
		}
		var r struct {
			Profiles []json.RawMessage `json:"profiles"`
		}
		if err := json.Unmarshal(resp.Body, &r); err != nil {
			return out, fmt.Errorf("getProfiles: not a profiles response: %s", truncateUTF8(cleanText(err.Error()), 200))
		}
		for i, raw := range r.Profiles {
			var p bskyProfile
			if err := json.Unmarshal(raw, &p); err != nil || !bskyValidDID(p.DID) {
				b.problem(fmt.Errorf("getProfiles: profile %d: not a profile", i))
				continue
			}
			p.fetched = now
			p.Handle = strings.ToLower(p.Handle)
			b.profiles.put(p.DID, p)
			if p.Handle != "" {
				b.profiles.put(p.Handle, p)
			}
			for _, a := range chunk {
				if a == p.DID || strings.EqualFold(a, p.Handle) {
					out[a] = p
				}
			}
		}
	}
	return out, nil
}

// enrich fills in the authors' handles, names and follower counts of
// mentions that only carry a DID (Jetstream names no one). On failure the
// DIDs stay: the mention is worth more now than a pretty name.
func (b *Bluesky) enrich(ctx context.Context, ms []store.Mention) {
	var dids []string
	for _, m := range ms {
		if strings.HasPrefix(m.Author.Handle, "did:") {
			dids = append(dids, m.Author.Handle)
		}
	}
	if len(dids) == 0 {
		return
	}
	profiles, err := b.getProfiles(ctx, dids)
	if err != nil && ctx.Err() == nil {
		b.problem(fmt.Errorf("author profiles: %w", err))
	}
	for i := range ms {
		p, ok := profiles[ms[i].Author.Handle]
		if !ok {
			continue
		}
		if p.Handle != "" && p.Handle != "handle.invalid" {
			ms[i].Author.Handle = truncateUTF8(cleanText(p.Handle), maxAuthorBytes)
		}
		if ms[i].Author.DisplayName == "" {
			ms[i].Author.DisplayName = truncateUTF8(cleanText(p.DisplayName), maxAuthorBytes)
		}
		ms[i].Author.Followers = socialCount(p.Followers)
	}
}

// bskyPostView is the part of app.bsky.feed.defs#postView Pantau reads.
type bskyPostView struct {
	URI    string `json:"uri"`
	Author struct {
		DID         string `json:"did"`
		Handle      string `json:"handle"`
		DisplayName string `json:"displayName"`
	} `json:"author"`
	Record      *bskyRec `json:"record"`
	ReplyCount  *int64   `json:"replyCount"`
	RepostCount *int64   `json:"repostCount"`
	LikeCount   *int64   `json:"likeCount"`
	QuoteCount  *int64   `json:"quoteCount"`
	IndexedAt   string   `json:"indexedAt"`
}

func bskyDecodePostView(raw json.RawMessage, where string, i int) (*bskyPostView, error) {
	if len(raw) > bskyMaxPostBytes {
		return nil, fmt.Errorf("%s: post %d: %s, over the %s limit: skipped", where, i, formatBytes(int64(len(raw))), formatBytes(bskyMaxPostBytes))
	}
	var p bskyPostView
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("%s: post %d: not a post view: %s", where, i, truncateUTF8(cleanText(err.Error()), 200))
	}
	if !strings.HasPrefix(p.URI, "at://") || !bskyValidDID(p.Author.DID) || p.Record == nil {
		return nil, fmt.Errorf("%s: post %d: missing uri, author or record", where, i)
	}
	return &p, nil
}

func (p *bskyPostView) sample(now time.Time, followers *int64) store.MentionSample {
	// Only uri, cid, author, record and indexedAt are required in a
	// postView: a missing count is zero, not unknown.
	z := func(v *int64) *int64 {
		if v == nil || *v < 0 {
			n := int64(0)
			return &n
		}
		return socialCount(v)
	}
	return store.MentionSample{Key: store.MentionKey(KindBluesky, normalizeNativeID(p.URI)), Sample: store.Sample{
		At: now, Likes: z(p.LikeCount), Reposts: z(p.RepostCount), Replies: z(p.ReplyCount), Quotes: z(p.QuoteCount), Followers: followers,
	}}
}

// Poll backfills through searchPosts when the source has an app password:
// posts since the newest one found before (less a margin for indexing
// lag), deduplicated by uri. Without one it returns an empty batch (the
// cursor unchanged): Jetstream does the work, and Coverage says so.
func (b *Bluesky) Poll(ctx context.Context, cursor string) (store.Batch, error) {
	now := b.fetch.Now().UTC()
	batch := store.Batch{Source: b.name, Kind: KindBluesky, At: now, Coverage: b.Coverage()}
	if !b.password.IsSet() {
		return batch, nil
	}
	cur := b.startCursor(cursor)
	byURI := map[string]bool{}
	var authors []string
	var found []*bskyPostView
	for _, q := range b.search {
		since := now.Add(-bskyFirstBackfill)
		if t, ok := cur.Search[q]; ok && !t.IsZero() {
			since = t.Add(-bskySearchOverlap)
		}
		newest := cur.Search[q]
		pageCursor := ""
		for page := 0; page < bskySearchPages; page++ {
			params := url.Values{"q": {q}, "sort": {"latest"}, "since": {since.UTC().Format(time.RFC3339)}, "limit": {strconv.Itoa(bskySearchLimit)}}
			if pageCursor != "" {
				params.Set("cursor", pageCursor)
			}
			resp, err := b.authed(ctx, "app.bsky.feed.searchPosts", params)
			if err != nil {
				return store.Batch{}, fmt.Errorf("bluesky source %q: search %q: %w", b.name, q, err)
			}
			var r struct {
				Cursor string            `json:"cursor"`
				Posts  []json.RawMessage `json:"posts"`
			}
			if err := json.Unmarshal(resp.Body, &r); err != nil {
				return store.Batch{}, fmt.Errorf("bluesky source %q: search %q: not a searchPosts response: %s", b.name, q, truncateUTF8(cleanText(err.Error()), 200))
			}
			for i, raw := range r.Posts {
				p, err := bskyDecodePostView(raw, "searchPosts", i)
				if err != nil {
					b.problem(err)
					continue
				}
				if t, err := time.Parse(time.RFC3339Nano, p.IndexedAt); err == nil && t.After(newest) && !t.After(now.Add(maxFutureSkew)) {
					newest = t.UTC()
				}
				if byURI[p.URI] {
					continue
				}
				byURI[p.URI] = true
				found = append(found, p)
				authors = append(authors, p.Author.DID)
			}
			if r.Cursor == "" || len(r.Posts) < bskySearchLimit {
				break
			}
			pageCursor = r.Cursor
		}
		if newest.After(cur.Search[q]) {
			cur.Search[q] = newest
		}
	}
	profiles, err := b.getProfiles(ctx, authors)
	if err != nil {
		b.problem(fmt.Errorf("author profiles: %w", err))
	}
	for _, p := range found {
		mn, keep := b.postMention(p.URI, p.Author.DID, p.Author.Handle, p.Author.DisplayName, p.Record, now)
		if !keep {
			continue
		}
		var followers *int64
		if pr, ok := profiles[p.Author.DID]; ok {
			followers = socialCount(pr.Followers)
			mn.Author.Followers = followers
		}
		batch.Mentions = append(batch.Mentions, mn)
		batch.Samples = append(batch.Samples, p.sample(now, followers))
	}
	c := cur.encode()
	batch.Cursor = &c
	return batch, nil
}

// authed calls an XRPC method through the PDS with the session, logging in
// or refreshing it as needed, and once more after an expired token.
func (b *Bluesky) authed(ctx context.Context, method string, q url.Values) (*Response, error) {
	for attempt := 0; ; attempt++ {
		tok, err := b.accessToken(ctx)
		if err != nil {
			return nil, err
		}
		resp, err := b.xrpc(ctx, b.pds, method, q, tok)
		var se *StatusError
		if attempt == 0 && errors.As(err, &se) && (se.Code == http.StatusUnauthorized || (se.Code == http.StatusBadRequest && strings.Contains(se.Body, "ExpiredToken"))) {
			b.mu.Lock()
			if b.session != nil && b.session.access == tok {
				b.session.expires = time.Time{} // refresh before the retry
			}
			b.mu.Unlock()
			continue
		}
		return resp, err
	}
}

// accessToken returns a valid access JWT: the cached one, a refreshed one
// (refreshSession), or a new login (createSession, at most once per
// bskyLoginFloor, since logins are scarce).
func (b *Bluesky) accessToken(ctx context.Context) (string, error) {
	now := b.fetch.Now()
	b.mu.Lock()
	s := b.session
	b.mu.Unlock()
	if s != nil && now.Before(s.expires) {
		return s.access, nil
	}
	if s != nil && s.refresh != "" {
		ns, err := b.sessionCall(ctx, "com.atproto.server.refreshSession", nil, s.refresh)
		if err == nil {
			b.mu.Lock()
			b.session = ns
			b.mu.Unlock()
			return ns.access, nil
		}
		if ctx.Err() != nil {
			return "", err
		}
		// A refresh token that expired or was revoked: log in again.
	}
	b.mu.Lock()
	if !b.lastLogin.IsZero() && now.Sub(b.lastLogin) < bskyLoginFloor {
		wait := bskyLoginFloor - now.Sub(b.lastLogin)
		b.mu.Unlock()
		return "", &StatusError{Code: http.StatusTooManyRequests, RetryAfter: wait, URL: redactParsedURL(b.pds) + "/xrpc/com.atproto.server.createSession",
			Method: http.MethodPost, Body: "Pantau waits between logins: createSession allows 30 per 5 minutes"}
	}
	b.lastLogin = now
	b.mu.Unlock()
	body, _ := json.Marshal(map[string]string{"identifier": b.identifier, "password": b.password.Reveal()})
	ns, err := b.sessionCall(ctx, "com.atproto.server.createSession", body, "")
	if err != nil {
		return "", err
	}
	b.mu.Lock()
	b.session = ns
	b.mu.Unlock()
	return ns.access, nil
}

func (b *Bluesky) sessionCall(ctx context.Context, method string, body []byte, bearer string) (*bskySession, error) {
	u := *b.pds
	u.Path = b.pds.Path + "/xrpc/" + method
	h := http.Header{"Accept": {"application/json"}, "Content-Type": {"application/json"}}
	if bearer != "" {
		h.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := b.fetch.Do(ctx, Request{Method: http.MethodPost, URL: u.String(), Body: body, Header: h})
	if err != nil {
		// The password travels in the body, which the Fetcher does not
		// know is secret: a server echoing it must not leak it.
		var se *StatusError
		if errors.As(err, &se) {
			se.Body = strings.ReplaceAll(se.Body, b.password.Reveal(), redacted)
		}
		return nil, fmt.Errorf("bluesky %s: %w", method, bskyRateLimit(err, b.fetch.Now()))
	}
	var r struct {
		Access  string `json:"accessJwt"`
		Refresh string `json:"refreshJwt"`
	}
	if err := json.Unmarshal(resp.Body, &r); err != nil || r.Access == "" {
		return nil, fmt.Errorf("bluesky %s: no session in the response", method)
	}
	return &bskySession{access: r.Access, refresh: r.Refresh, expires: bskyJWTExpiry(r.Access, b.fetch.Now())}, nil
}

// bskyJWTExpiry reads a JWT's exp claim (without checking the signature: it
// only decides when to refresh), less a minute of margin. A token without
// one is refreshed after 30 minutes.
func bskyJWTExpiry(tok string, now time.Time) time.Time {
	parts := strings.Split(tok, ".")
	if len(parts) == 3 {
		if payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "=")); err == nil {
			var c struct {
				Exp int64 `json:"exp"`
			}
			if json.Unmarshal(payload, &c) == nil && c.Exp > 0 {
				return time.Unix(c.Exp, 0).Add(-time.Minute)
			}
		}
	}
	return now.Add(30 * time.Minute)
}

// Refresh re-reads mentions through the AppView: engagement counts from
// getPosts (25 per call) with the author's followers from getProfiles
// (cached a day), and, when the brand's DIDs are known, each thread from
// getPostThread, whose brand replies become ByBrand mentions with ReplyTo
// set. A reply is linked to its parent when that is one of the refreshed
// mentions, else to the refreshed mention whose thread it is in.
//
// When it fails part way, the batch holds what was read before, alongside
// the error.
func (b *Bluesky) Refresh(ctx context.Context, mentions []store.Mention) (store.Batch, error) {
	now := b.fetch.Now().UTC()
	batch := store.Batch{Source: b.name, Kind: KindBluesky, At: now}
	b.resolveBrand(ctx)
	var uris []string
	known := map[string]bool{}
	for _, m := range mentions {
		if (m.Kind == "" || m.Kind == KindBluesky) && strings.HasPrefix(m.NativeID, "at://") && !known[m.NativeID] {
			uris = append(uris, m.NativeID)
			known[m.NativeID] = true
		}
	}
	fail := func(err error) (store.Batch, error) {
		return batch, fmt.Errorf("bluesky source %q: refresh: %w", b.name, err)
	}
	var posts []*bskyPostView
	for start := 0; start < len(uris); start += bskyBatch {
		chunk := uris[start:min(start+bskyBatch, len(uris))]
		resp, err := b.xrpc(ctx, b.appview, "app.bsky.feed.getPosts", url.Values{"uris": chunk}, "")
		if err != nil {
			return fail(err)
		}
		var r struct {
			Posts []json.RawMessage `json:"posts"`
		}
		if err := json.Unmarshal(resp.Body, &r); err != nil {
			return fail(fmt.Errorf("getPosts: not a posts response: %s", truncateUTF8(cleanText(err.Error()), 200)))
		}
		for i, raw := range r.Posts {
			p, err := bskyDecodePostView(raw, "getPosts", i)
			if err != nil {
				b.problem(err)
				continue
			}
			posts = append(posts, p)
		}
	}
	authors := make([]string, 0, len(posts))
	for _, p := range posts {
		authors = append(authors, p.Author.DID)
	}
	profiles, err := b.getProfiles(ctx, authors)
	if err != nil {
		b.problem(fmt.Errorf("author profiles: %w", err))
	}
	for _, p := range posts {
		var followers *int64
		if pr, ok := profiles[p.Author.DID]; ok {
			followers = socialCount(pr.Followers)
		}
		batch.Samples = append(batch.Samples, p.sample(now, followers))
	}

	b.mu.Lock()
	haveBrand := len(b.brandDIDs) > 0
	b.mu.Unlock()
	if !haveBrand {
		return batch, nil
	}
	seen := map[string]bool{}
	for _, m := range mentions {
		if m.ByBrand || !known[m.NativeID] {
			continue
		}
		resp, err := b.xrpc(ctx, b.appview, "app.bsky.feed.getPostThread", url.Values{"uri": {m.NativeID}, "depth": {strconv.Itoa(bskyThreadDepth)}, "parentHeight": {"0"}}, "")
		var se *StatusError
		if errors.As(err, &se) && (se.Code == http.StatusNotFound || (se.Code == http.StatusBadRequest && strings.Contains(se.Body, "NotFound"))) {
			continue // deleted
		}
		if err != nil {
			return fail(err)
		}
		var r struct {
			Thread json.RawMessage `json:"thread"`
		}
		if err := json.Unmarshal(resp.Body, &r); err != nil {
			b.problem(fmt.Errorf("getPostThread: not a thread: %s", truncateUTF8(cleanText(err.Error()), 200)))
			continue
		}
		nodes := 0
		b.walkThread(r.Thread, 0, &nodes, func(p *bskyPostView) {
			if !b.isBrandDID(p.Author.DID) || seen[p.URI] {
				return
			}
			mn, keep := b.postMention(p.URI, p.Author.DID, p.Author.Handle, p.Author.DisplayName, p.Record, now)
			if !keep || !mn.ByBrand {
				return
			}
			seen[p.URI] = true
			if p.Record.Reply == nil || !known[p.Record.Reply.Parent.URI] {
				mn.ReplyTo = store.MentionKey(KindBluesky, m.NativeID)
			}
			batch.Mentions = append(batch.Mentions, mn)
		})
	}
	return batch, nil
}

// walkThread visits the posts under a threadViewPost (not the post itself),
// skipping notFoundPost and blockedPost, within depth and node limits.
func (b *Bluesky) walkThread(raw json.RawMessage, depth int, nodes *int, visit func(*bskyPostView)) {
	var n struct {
		Type    string            `json:"$type"`
		Post    json.RawMessage   `json:"post"`
		Replies []json.RawMessage `json:"replies"`
	}
	if depth > bskyThreadDepth+1 || *nodes >= bskyMaxThreadNodes || json.Unmarshal(raw, &n) != nil {
		return
	}
	*nodes++
	if n.Type != "" && !strings.HasSuffix(n.Type, "#threadViewPost") {
		return
	}
	if depth > 0 && len(n.Post) > 0 {
		if p, err := bskyDecodePostView(n.Post, "getPostThread", *nodes); err == nil {
			visit(p)
		}
	}
	for _, r := range n.Replies {
		b.walkThread(r, depth+1, nodes, visit)
	}
}
