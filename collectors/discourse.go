package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/store/secret"
)

// KindDiscourse is the source kind for Discourse forums: search.json and topic threads.
const KindDiscourse = "discourse"

const (
	// discourseDefaultRPM: Discourse's defaults allow 200 a minute per
	// IP, but many forums lower them or sit behind Cloudflare; one a
	// second is polite everywhere.
	discourseDefaultRPM      = 60
	discourseDefaultMaxPages = 3
	// discourseOverlap: search dates are whole days, and the index lags
	// a little; the seen set handles the rest.
	discourseOverlap = time.Hour
	// discourseChunk is how many posts /t/{id}/posts.json is asked for at
	// once (Discourse's own page size).
	discourseChunk                 = 20
	discourseDefaultMaxThreadPosts = 100
	discourseMaxThreadPosts        = 1000
	// discourseMaxEnrichTopics bounds the topic reads one poll makes to
	// replace search excerpts with whole posts.
	discourseMaxEnrichTopics = 10
)

var (
	discourseUserPattern = regexp.MustCompile(`^[\p{L}\p{N}_.-]{1,60}$`)
	discourseSlug        = regexp.MustCompile(`^[a-z0-9-]{1,200}$`)
	discourseTopicURL    = regexp.MustCompile(`/t/(?:[^/]+/)?([0-9]{1,12})/([0-9]{1,9})$`)
	discoursePostID      = regexp.MustCompile(`/p/([0-9]{1,15})$`)
)

// DiscourseConfig holds the settings of a discourse source (the
// "discourse:" section). The forum's base URL is the source's url.
type DiscourseConfig struct {
	// APIKey and APIUsername are sent as Api-Key and Api-Username, for
	// forums that are private or rate-limit anonymous readers hard. A
	// read-only key is enough.
	APIKey      secret.Secret `yaml:"api_key"`
	APIKeyFile  string        `yaml:"api_key_file"`
	APIUsername string        `yaml:"api_username"`
	// BrandGroups are the brand team's group names: a post whose author
	// has one of them as primary group is the brand's.
	BrandGroups []string `yaml:"brand_groups"`
	// StaffIsBrand makes every staff post (admins, moderators) the
	// brand's: set it on the brand's own forum only.
	StaffIsBrand bool `yaml:"staff_is_brand"`
	// MaxPages bounds the search pages (of 50) read per term and poll
	// (default 3).
	MaxPages int `yaml:"max_pages"`
	// MaxThreadPosts bounds the posts of one topic read when looking for
	// brand replies (default 100).
	MaxThreadPosts int `yaml:"max_thread_posts"`
	// Backfill is how far back the first poll looks (default 24h).
	Backfill time.Duration `yaml:"backfill"`
	// RequestsPerMinute overrides the rate (default 60).
	RequestsPerMinute int `yaml:"requests_per_minute"`
}

func (c *DiscourseConfig) validate(path string) []error {
	var cfg DiscourseConfig
	if c != nil {
		cfg = *c
	}
	var errs []error
	key, err := secret.Resolve(cfg.APIKey, cfg.APIKeyFile)
	if err != nil {
		errs = append(errs, fieldErr(path+".api_key_file", "%v", err))
	}
	hasKey := key.IsSet() || cfg.APIKeyFile != ""
	switch {
	case hasKey && strings.TrimSpace(cfg.APIUsername) == "":
		errs = append(errs, fieldErr(path+".api_username", "required with api_key (the user the key acts as, often system)"))
	case !hasKey && cfg.APIUsername != "":
		errs = append(errs, fieldErr(path+".api_key", "required with api_username"))
	case cfg.APIUsername != "" && !discourseUserPattern.MatchString(cfg.APIUsername):
		errs = append(errs, fieldErr(path+".api_username", "%q is not a Discourse username", truncateUTF8(cfg.APIUsername, 40)))
	}
	for i, g := range cfg.BrandGroups {
		if !discourseUserPattern.MatchString(strings.TrimSpace(g)) {
			errs = append(errs, fieldErr(fmt.Sprintf("%s.brand_groups[%d]", path, i), "%q is not a Discourse group name", truncateUTF8(g, 40)))
		}
	}
	errs = append(errs, checkMaxPages(path+".max_pages", cfg.MaxPages, 20)...)
	if cfg.MaxThreadPosts < 0 || cfg.MaxThreadPosts > discourseMaxThreadPosts {
		errs = append(errs, fieldErr(path+".max_thread_posts", "must be between 1 and %d (0 means %d), got %d", discourseMaxThreadPosts, discourseDefaultMaxThreadPosts, cfg.MaxThreadPosts))
	}
	errs = append(errs, checkBackfill(path+".backfill", cfg.Backfill)...)
	errs = append(errs, checkRPM(path+".requests_per_minute", cfg.RequestsPerMinute)...)
	return errs
}

// Discourse collects posts from one forum's search and, as a Refresher,
// likes, replies and brand replies from topic threads.
type Discourse struct {
	name     string
	brand    string
	fetch    *Fetcher
	base     string // https://forum.example.com[/prefix]
	idPrefix string // forum.example.com[/prefix]: post ids are per forum
	apiKey   secret.Secret
	apiUser  string
	maxPages int
	maxPosts int
	backfill time.Duration

	terms       []string
	keywords    *keywordMatcher
	exclude     *keywordMatcher
	brandUser   map[string]bool
	brandGroups map[string]bool
	staffBrand  bool

	hold holdOff
}

var (
	_ Refresher = (*Discourse)(nil)
	_ Coverage  = (*Discourse)(nil)
)

// NewDiscourse builds a discourse collector for the forum at cfg.URL. cfg
// should have passed Validate.
func NewDiscourse(cfg SourceConfig, brand Brand, f *Fetcher) (Collector, error) {
	if f == nil {
		return nil, errors.New("discourse: nil Fetcher")
	}
	var dc DiscourseConfig
	if cfg.Discourse != nil {
		dc = *cfg.Discourse
	}
	if errs := dc.validate("discourse"); len(errs) > 0 {
		return nil, fmt.Errorf("discourse source %q: %w", cfg.Name, errors.Join(errs...))
	}
	if strings.TrimSpace(cfg.URL) == "" {
		return nil, fmt.Errorf("discourse source %q: url is required: the forum's base URL, like https://forum.example.com", cfg.Name)
	}
	base, err := apiBaseURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("discourse source %q: %w", cfg.Name, err)
	}
	u, _ := url.Parse(base)
	d := &Discourse{
		name:        cfg.Name,
		brand:       brand.Name,
		fetch:       f,
		base:        base,
		idPrefix:    strings.ToLower(u.Host) + strings.TrimRight(u.EscapedPath(), "/"),
		apiUser:     strings.TrimSpace(dc.APIUsername),
		maxPages:    orDefault(dc.MaxPages, discourseDefaultMaxPages),
		maxPosts:    orDefault(dc.MaxThreadPosts, discourseDefaultMaxThreadPosts),
		backfill:    orDefault(dc.Backfill, defaultBackfill),
		exclude:     newKeywordMatcher(append(slices.Clone(cfg.Exclude), brand.Exclude...)),
		brandUser:   accountSet(brand.Accounts[KindDiscourse], func(s string) string { return strings.TrimPrefix(s, "@") }),
		brandGroups: accountSet(dc.BrandGroups, func(s string) string { return s }),
		staffBrand:  dc.StaffIsBrand,
	}
	if d.apiKey, err = secret.Resolve(dc.APIKey, dc.APIKeyFile); err != nil {
		return nil, fmt.Errorf("discourse source %q: api_key: %w", cfg.Name, err)
	}
	terms, all := searchTerms(cfg, brand)
	if all || len(terms) == 0 {
		return nil, fmt.Errorf("discourse source %q: needs search terms (keywords or the brand's terms); to keep every post of a forum, use an rss source on its /posts.rss", cfg.Name)
	}
	d.terms = terms
	d.keywords = newKeywordMatcher(terms)
	rpm := orDefault(dc.RequestsPerMinute, discourseDefaultRPM)
	f.LimitHost(u.Host, perMinute(rpm), 1)
	return d, nil
}

func (d *Discourse) Name() string { return d.name }
func (d *Discourse) Kind() string { return KindDiscourse }

// Coverage says what the source sees.
func (d *Discourse) Coverage() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Posts on %s matching %s, through the forum's own search, newest first", redactURL(d.base), quoteList(d.terms))
	if d.apiKey.IsSet() {
		fmt.Fprintf(&b, " (as %s: what that user may read)", d.apiUser)
	} else {
		b.WriteString(" (anonymous: public categories only)")
	}
	b.WriteString(". Text is the whole post when its topic could be read, else the search excerpt (~200 characters). Brand replies: posts by ")
	var who []string
	if len(d.brandUser) > 0 {
		who = append(who, strings.Join(sortedKeys(d.brandUser), ", "))
	}
	if len(d.brandGroups) > 0 {
		who = append(who, "group "+strings.Join(sortedKeys(d.brandGroups), ", "))
	}
	if d.staffBrand {
		who = append(who, "forum staff")
	}
	if len(who) == 0 {
		who = append(who, "nobody (no brand accounts are configured for discourse)")
	}
	b.WriteString(strings.Join(who, ", "))
	fmt.Fprintf(&b, " in the same topic. Cannot see: private categories without an API key, brand replies beyond the first %d posts of a topic, more than %d new posts per term between two polls, edits after a post was first seen, and follower counts (Discourse has none).", d.maxPosts, d.maxPages*50)
	return b.String()
}

type discourseCursor struct {
	hwmCursor
}

type discourseSearchJSON struct {
	Posts  []json.RawMessage `json:"posts"`
	Topics []json.RawMessage `json:"topics"`
	Group  *struct {
		More json.RawMessage `json:"more_full_page_results"`
	} `json:"grouped_search_result"`
}

type discourseSearchPost struct {
	ID         int64    `json:"id"`
	Username   string   `json:"username"`
	Name       string   `json:"name"`
	CreatedAt  string   `json:"created_at"`
	LikeCount  *float64 `json:"like_count"`
	Blurb      string   `json:"blurb"`
	PostNumber int      `json:"post_number"`
	TopicID    int64    `json:"topic_id"`
}

type discourseTopicJSON struct {
	ID         int64    `json:"id"`
	Title      string   `json:"title"`
	Slug       string   `json:"slug"`
	PostsCount *float64 `json:"posts_count"`
	Views      *float64 `json:"views"`
	PostStream *struct {
		Posts  []json.RawMessage `json:"posts"`
		Stream []int64           `json:"stream"`
	} `json:"post_stream"`
}

type discoursePost struct {
	ID                int64    `json:"id"`
	TopicID           int64    `json:"topic_id"`
	Username          string   `json:"username"`
	Name              string   `json:"name"`
	CreatedAt         string   `json:"created_at"`
	Cooked            string   `json:"cooked"`
	PostNumber        int      `json:"post_number"`
	ReplyToPostNumber *int     `json:"reply_to_post_number"`
	ReplyCount        *float64 `json:"reply_count"`
	LikeCount         *float64 `json:"like_count"`
	Staff             bool     `json:"staff"`
	Admin             bool     `json:"admin"`
	Moderator         bool     `json:"moderator"`
	PrimaryGroupName  *string  `json:"primary_group_name"`
	ActionsSummary    []struct {
		ID    int     `json:"id"`
		Count float64 `json:"count"`
	} `json:"actions_summary"`
	DeletedAt   *string `json:"deleted_at"`
	UserDeleted bool    `json:"user_deleted"`
	Hidden      bool    `json:"hidden"`
}

// likes is the post's like count: like_count where the forum sends it,
// else the "like" action (id 2) of actions_summary.
func (p *discoursePost) likes() *int64 {
	if n := floatCount(p.LikeCount); n != nil {
		return n
	}
	for _, a := range p.ActionsSummary {
		if a.ID == 2 {
			return floatCount(&a.Count)
		}
	}
	return nil
}

func (p *discoursePost) gone() bool {
	return p.DeletedAt != nil || p.UserDeleted || p.Hidden || p.Username == ""
}

// pending is a post found by search, on its way to becoming a mention.
type discoursePending struct {
	m     store.Mention
	post  discourseSearchPost
	likes *int64
}

// Poll searches each term for posts newer than the cursor, then reads the
// topics they belong to (up to 10 a poll) for the whole text, reply links
// and brand replies already there.
func (d *Discourse) Poll(ctx context.Context, cursor string) (store.Batch, error) {
	cur := parseJSONCursor[discourseCursor](cursor)
	now := d.fetch.Now().UTC()
	since := cur.since(now, d.backfill, discourseOverlap)
	b := store.Batch{Source: d.name, Kind: KindDiscourse, At: now, Coverage: d.Coverage()}
	var found []discoursePending
	topics := map[int64]discourseTopicJSON{}
	for _, term := range d.terms {
		if err := d.search(ctx, term, &cur.hwmCursor, since, now, &found, topics); err != nil {
			return store.Batch{}, err
		}
	}
	d.enrich(ctx, found, topics, now, &b)
	cur.prune(discourseOverlap)
	next, err := json.Marshal(cur)
	if err != nil {
		return store.Batch{}, fmt.Errorf("discourse source %q: encode cursor: %w", d.name, err)
	}
	s := string(next)
	b.Cursor = &s
	return b, nil
}

func discourseTerm(t string) string {
	t = strings.Join(strings.Fields(strings.ReplaceAll(t, `"`, " ")), " ")
	if strings.Contains(t, " ") {
		return `"` + t + `"`
	}
	return t
}

func (d *Discourse) search(ctx context.Context, term string, cur *hwmCursor, since, now time.Time, found *[]discoursePending, topics map[int64]discourseTopicJSON) error {
	// after: takes a date; a day earlier is safe whatever time zone the
	// forum reads it in, and the seen set drops the repeats.
	q := discourseTerm(term) + " order:latest after:" + since.AddDate(0, 0, -1).Format("2006-01-02")
	for page := 1; page <= d.maxPages; page++ {
		body, shown, err := d.get(ctx, "/search.json", url.Values{"q": {q}, "page": {strconv.Itoa(page)}})
		if err != nil {
			return err
		}
		var res discourseSearchJSON
		if err := json.Unmarshal(body, &res); err != nil {
			return fmt.Errorf("discourse source %q: malformed search response from %s: %s", d.name, shown, describeJSONError(body, err))
		}
		if res.Group == nil {
			return fmt.Errorf("discourse source %q: malformed search response from %s: no grouped_search_result (not a Discourse search result)", d.name, shown)
		}
		for _, raw := range res.Topics {
			var t discourseTopicJSON
			if json.Unmarshal(raw, &t) == nil && t.ID > 0 {
				topics[t.ID] = t
			}
		}
		reached := false
		for _, raw := range res.Posts {
			var p discourseSearchPost
			if json.Unmarshal(raw, &p) != nil || p.ID <= 0 || p.TopicID <= 0 || p.PostNumber <= 0 {
				continue // skip the malformed post, keep the rest
			}
			created, err := time.Parse(time.RFC3339, p.CreatedAt)
			if err != nil {
				continue
			}
			created = notAfterSkew(created, now)
			id := d.nativeID(p.ID)
			if !created.After(since) {
				reached = true
				continue
			}
			if !cur.fresh(id, created, since) {
				continue
			}
			cur.saw(id, created)
			t := topics[p.TopicID]
			title := ""
			if p.PostNumber == 1 {
				title = cleanText(t.Title)
			}
			text := htmlToText(p.Blurb)
			byBrand := d.brandUser[strings.ToLower(p.Username)]
			if !byBrand && (d.keywords.match(title, text) == "" || d.exclude.match(title, text) != "") {
				continue
			}
			*found = append(*found, discoursePending{
				m:     d.mention(p.ID, p.Username, p.Name, title, text, created, byBrand, d.postURL(t.Slug, p.TopicID, p.PostNumber)),
				post:  p,
				likes: floatCount(p.LikeCount),
			})
		}
		if reached || len(res.Posts) == 0 || strings.TrimSpace(string(res.Group.More)) != "true" {
			break
		}
	}
	return nil
}

// enrich reads the topics of the posts found: the whole post replaces
// the excerpt, reply_to_post_number becomes ReplyTo, staff and group
// flags make brand posts, and brand replies already in the topic come
// along. It is best effort: a topic that cannot be read leaves its posts
// as search found them, and a rate limit stops the enrichment, not the
// poll.
func (d *Discourse) enrich(ctx context.Context, found []discoursePending, topics map[int64]discourseTopicJSON, now time.Time, b *store.Batch) {
	var order []int64
	byTopic := map[int64][]int{}
	for i, p := range found {
		if _, ok := byTopic[p.post.TopicID]; !ok {
			order = append(order, p.post.TopicID)
		}
		byTopic[p.post.TopicID] = append(byTopic[p.post.TopicID], i)
	}
	inBatch := map[string]bool{}
	for n, topicID := range order {
		if n >= discourseMaxEnrichTopics {
			break
		}
		idx := byTopic[topicID]
		var want []int64
		for _, i := range idx {
			want = append(want, found[i].post.ID)
		}
		th, err := d.loadTopic(ctx, topicID, want, 0)
		if err != nil {
			if stopRefresh(ctx, err) {
				break
			}
			continue
		}
		targets := map[int64]*store.Mention{}
		for _, i := range idx {
			m := &found[i].m
			if p := th.byID[found[i].post.ID]; p != nil {
				d.fill(m, p, th)
			}
			targets[found[i].post.ID] = m
		}
		for _, r := range d.brandReplies(th, targets, now) {
			// A brand post search found itself only needs its link: to
			// the customer's post it answers, not merely its direct
			// parent.
			if j := slices.IndexFunc(found, func(p discoursePending) bool { return p.m.NativeID == r.NativeID }); j >= 0 {
				found[j].m.ReplyTo = r.ReplyTo
				continue
			}
			if !inBatch[r.NativeID] {
				inBatch[r.NativeID] = true
				b.Mentions = append(b.Mentions, r)
			}
		}
	}
	for _, p := range found {
		b.Mentions = append(b.Mentions, p.m)
		if p.likes != nil {
			b.Samples = append(b.Samples, store.MentionSample{Key: keyOf(p.m), Sample: store.Sample{At: now, Likes: p.likes}})
		}
	}
	// Brand replies before the posts they answer is fine for the store
	// (it links a reply that arrives first), but the dashboard reads a
	// batch in order: customers first.
	slices.SortStableFunc(b.Mentions, func(x, y store.Mention) int {
		switch {
		case x.ByBrand == y.ByBrand:
			return 0
		case x.ByBrand:
			return 1
		}
		return -1
	})
}

// fill completes a search-found mention from its post in the topic.
func (d *Discourse) fill(m *store.Mention, p *discoursePost, th *discourseThread) {
	if p.gone() {
		return
	}
	if text := htmlToText(p.Cooked); text != "" {
		m.Text = truncateUTF8(text, maxTextBytes)
	}
	if d.isBrand(p) {
		m.ByBrand = true
	}
	if p.ReplyToPostNumber != nil {
		if parent := th.byNumber[*p.ReplyToPostNumber]; parent != nil {
			m.ReplyTo = store.MentionKey(KindDiscourse, d.nativeID(parent.ID))
		}
	}
	if th.rootID > 0 && th.rootID != p.ID {
		m.ThreadRoot = store.MentionKey(KindDiscourse, d.nativeID(th.rootID))
	}
}

func (d *Discourse) isBrand(p *discoursePost) bool {
	if d.brandUser[strings.ToLower(p.Username)] {
		return true
	}
	if p.PrimaryGroupName != nil && d.brandGroups[strings.ToLower(*p.PrimaryGroupName)] {
		return true
	}
	return d.staffBrand && (p.Staff || p.Admin || p.Moderator)
}

func (d *Discourse) nativeID(postID int64) string {
	return d.idPrefix + "/p/" + strconv.FormatInt(postID, 10)
}

func (d *Discourse) postURL(slug string, topicID int64, n int) string {
	if !discourseSlug.MatchString(slug) {
		slug = "topic"
	}
	return fmt.Sprintf("%s/t/%s/%d/%d", d.base, slug, topicID, n)
}

func (d *Discourse) mention(postID int64, username, name, title, text string, created time.Time, byBrand bool, link string) store.Mention {
	username = truncateUTF8(cleanText(username), maxAuthorBytes)
	display := truncateUTF8(cleanText(name), maxAuthorBytes)
	if display == "" {
		display = username
	}
	a := store.Author{Handle: username, DisplayName: display}
	if discourseUserPattern.MatchString(username) {
		a.ProfileURL = d.base + "/u/" + url.PathEscape(username)
	}
	return store.Mention{
		Kind:      KindDiscourse,
		Source:    d.name,
		NativeID:  d.nativeID(postID),
		URL:       link,
		Brand:     d.brand,
		Author:    a,
		Title:     truncateUTF8(title, maxTitleBytes),
		Text:      truncateUTF8(text, maxTextBytes),
		CreatedAt: created,
		ByBrand:   byBrand,
	}
}

// discourseThread is a topic's posts as far as they were read.
type discourseThread struct {
	topic    discourseTopicJSON
	posts    []*discoursePost // by post number
	byID     map[int64]*discoursePost
	byNumber map[int]*discoursePost
	rootID   int64
}

// loadTopic reads /t/{id}.json (the first ~20 posts and the ids of all)
// and then, 20 at a time, the posts in want that were not among them
// plus, up to extra posts in all, the rest of the stream.
func (d *Discourse) loadTopic(ctx context.Context, topicID int64, want []int64, extra int) (*discourseThread, error) {
	body, shown, err := d.get(ctx, fmt.Sprintf("/t/%d.json", topicID), nil)
	if err != nil {
		return nil, err
	}
	var t discourseTopicJSON
	if err := json.Unmarshal(body, &t); err != nil {
		return nil, fmt.Errorf("discourse source %q: malformed topic from %s: %s", d.name, shown, describeJSONError(body, err))
	}
	if t.PostStream == nil || t.ID <= 0 {
		return nil, fmt.Errorf("discourse source %q: malformed topic from %s: no post_stream", d.name, shown)
	}
	th := &discourseThread{topic: t, byID: map[int64]*discoursePost{}, byNumber: map[int]*discoursePost{}}
	if len(t.PostStream.Stream) > 0 {
		th.rootID = t.PostStream.Stream[0]
	}
	th.add(t.PostStream.Posts)
	var more []int64
	for _, id := range want {
		if th.byID[id] == nil && !slices.Contains(more, id) {
			more = append(more, id)
		}
	}
	for _, id := range t.PostStream.Stream {
		if len(th.byID)+len(more) >= extra {
			break
		}
		if th.byID[id] == nil && !slices.Contains(more, id) {
			more = append(more, id)
		}
	}
	for chunk := range slices.Chunk(more, discourseChunk) {
		q := url.Values{}
		for _, id := range chunk {
			q.Add("post_ids[]", strconv.FormatInt(id, 10))
		}
		body, shown, err := d.get(ctx, fmt.Sprintf("/t/%d/posts.json", topicID), q)
		if err != nil {
			return nil, err
		}
		var res discourseTopicJSON
		if err := json.Unmarshal(body, &res); err != nil || res.PostStream == nil {
			return nil, fmt.Errorf("discourse source %q: malformed posts from %s: no post_stream", d.name, shown)
		}
		th.add(res.PostStream.Posts)
	}
	slices.SortFunc(th.posts, func(a, b *discoursePost) int { return a.PostNumber - b.PostNumber })
	if th.rootID == 0 && len(th.posts) > 0 && th.posts[0].PostNumber == 1 {
		th.rootID = th.posts[0].ID
	}
	return th, nil
}

func (th *discourseThread) add(raws []json.RawMessage) {
	for _, raw := range raws {
		p := new(discoursePost)
		if json.Unmarshal(raw, p) != nil || p.ID <= 0 || p.PostNumber <= 0 || th.byID[p.ID] != nil {
			continue
		}
		th.posts = append(th.posts, p)
		th.byID[p.ID] = p
		th.byNumber[p.PostNumber] = p
	}
}

// brandReplies finds the brand's posts in a topic that answer a customer
// post: one of the targets (post id -> mention) or one this collector
// would store (its words name the brand, no exclusion, not the brand's).
// Discourse threads are flat: a post answers the customer post its
// reply_to_post_number chain leads to, and a brand post that replies to
// the topic as a whole answers the latest customer post before it (which
// is how people use the big Reply button). Poll and Refresh use the same
// rule, so a brand reply gets the same ReplyTo whichever finds it first.
func (d *Discourse) brandReplies(th *discourseThread, targets map[int64]*store.Mention, now time.Time) []store.Mention {
	isTarget := func(p *discoursePost) bool {
		if m := targets[p.ID]; m != nil {
			return !m.ByBrand && !d.isBrand(p)
		}
		if p.gone() || d.isBrand(p) {
			return false
		}
		title := ""
		if p.PostNumber == 1 {
			title = cleanText(th.topic.Title)
		}
		text := htmlToText(p.Cooked)
		return d.keywords.match(title, text) != "" && d.exclude.match(title, text) == ""
	}
	var out []store.Mention
	for _, p := range th.posts {
		if !d.isBrand(p) || p.gone() || targets[p.ID] != nil && !targets[p.ID].ByBrand {
			continue
		}
		var to *discoursePost
		unknown := p.ReplyToPostNumber == nil || *p.ReplyToPostNumber <= 0
		for n, hops := p.ReplyToPostNumber, 0; n != nil && *n > 0 && hops < 50; hops++ {
			q := th.byNumber[*n]
			if q == nil {
				unknown = true
				break
			}
			if isTarget(q) {
				to = q
				break
			}
			n = q.ReplyToPostNumber
		}
		if to == nil && unknown {
			for _, q := range th.posts {
				if q.PostNumber < p.PostNumber && isTarget(q) {
					to = q
				}
			}
		}
		if to == nil {
			continue
		}
		created, err := time.Parse(time.RFC3339, p.CreatedAt)
		if err != nil {
			continue
		}
		m := d.mention(p.ID, p.Username, p.Name, "", htmlToText(p.Cooked), notAfterSkew(created, now), true, d.postURL(th.topic.Slug, th.topic.ID, p.PostNumber))
		m.ReplyTo = store.MentionKey(KindDiscourse, d.nativeID(to.ID))
		if th.rootID > 0 {
			m.ThreadRoot = store.MentionKey(KindDiscourse, d.nativeID(th.rootID))
		}
		out = append(out, m)
	}
	return out
}

// Refresh reads the topic of every given mention of this forum: like and
// reply counts (and views of first posts) become samples, and brand posts
// answering a watched post become ByBrand mentions with ReplyTo set.
// Other people's posts are not stored: they do not name the brand, and
// the reply counts measure them.
//
// The batch holds everything gathered even when err is not nil: ingest it
// either way.
func (d *Discourse) Refresh(ctx context.Context, mentions []store.Mention) (store.Batch, error) {
	now := d.fetch.Now().UTC()
	b := store.Batch{Source: d.name, Kind: KindDiscourse, At: now}
	var order []int64
	byTopic := map[int64]map[int64]*store.Mention{}
	var errs []error
	for i := range mentions {
		m := &mentions[i]
		postID, ok := d.ownPostID(m)
		if !ok {
			continue
		}
		topicID := discourseTopicOf(m.URL, d.base)
		if topicID == 0 {
			// Not built by this collector's URL scheme: ask the forum.
			var err error
			if topicID, err = d.topicOfPost(ctx, postID); err != nil {
				errs = append(errs, err)
				if stopRefresh(ctx, err) {
					return b, errors.Join(errs...)
				}
				continue
			}
			if topicID == 0 {
				continue
			}
		}
		if byTopic[topicID] == nil {
			byTopic[topicID] = map[int64]*store.Mention{}
			order = append(order, topicID)
		}
		byTopic[topicID][postID] = m
	}
	emitted := map[string]bool{}
	for _, topicID := range order {
		targets := byTopic[topicID]
		th, err := d.loadTopic(ctx, topicID, slices.Sorted(maps.Keys(targets)), d.maxPosts)
		if err != nil {
			var se *StatusError
			if errors.As(err, &se) && (se.Code == http.StatusForbidden || se.Code == http.StatusNotFound || se.Code == http.StatusGone) {
				continue // hidden or deleted
			}
			errs = append(errs, err)
			if stopRefresh(ctx, err) {
				break
			}
			continue
		}
		for postID, m := range targets {
			p := th.byID[postID]
			if p == nil {
				continue
			}
			s := store.Sample{At: now, Likes: p.likes(), Replies: floatCount(p.ReplyCount)}
			if p.PostNumber == 1 {
				s.Views = floatCount(th.topic.Views)
				if n := floatCount(th.topic.PostsCount); n != nil && *n > 0 {
					*n--
					s.Replies = n
				}
			}
			b.Samples = append(b.Samples, store.MentionSample{Key: keyOf(*m), Sample: s})
		}
		for _, r := range d.brandReplies(th, targets, now) {
			if !emitted[r.NativeID] {
				emitted[r.NativeID] = true
				b.Mentions = append(b.Mentions, r)
			}
		}
	}
	slices.SortFunc(b.Samples, func(x, y store.MentionSample) int { return strings.Compare(x.Key, y.Key) })
	return b, errors.Join(errs...)
}

// ownPostID returns the post id of a mention of this forum.
func (d *Discourse) ownPostID(m *store.Mention) (int64, bool) {
	if m.Kind != KindDiscourse || !strings.HasPrefix(m.NativeID, d.idPrefix+"/p/") {
		return 0, false
	}
	sub := discoursePostID.FindStringSubmatch(m.NativeID)
	if sub == nil {
		return 0, false
	}
	id, err := strconv.ParseInt(sub[1], 10, 64)
	return id, err == nil && id > 0
}

// discourseTopicOf reads the topic id from a post URL this collector
// built (base/t/slug/topic/number).
func discourseTopicOf(link, base string) int64 {
	if !strings.HasPrefix(link, base+"/t/") {
		return 0
	}
	sub := discourseTopicURL.FindStringSubmatch(link[len(base):])
	if sub == nil {
		return 0
	}
	id, _ := strconv.ParseInt(sub[1], 10, 64)
	return id
}

func (d *Discourse) topicOfPost(ctx context.Context, postID int64) (int64, error) {
	body, shown, err := d.get(ctx, fmt.Sprintf("/posts/%d.json", postID), nil)
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) && (se.Code == http.StatusForbidden || se.Code == http.StatusNotFound || se.Code == http.StatusGone) {
			return 0, nil
		}
		return 0, err
	}
	var p discoursePost
	if err := json.Unmarshal(body, &p); err != nil || p.TopicID <= 0 {
		return 0, fmt.Errorf("discourse source %q: malformed post from %s: no topic_id", d.name, shown)
	}
	return p.TopicID, nil
}

// get performs one GET on the forum, with the API key when configured. A
// 429 holds further requests for its Retry-After.
func (d *Discourse) get(ctx context.Context, path string, q url.Values) ([]byte, string, error) {
	u := d.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	shown := redactURL(u)
	now := d.fetch.Now()
	if w := d.hold.wait("api", now); w > 0 {
		return nil, shown, fmt.Errorf("discourse source %q: %w", d.name, heldError(shown, w, "the forum's rate limit"))
	}
	h := http.Header{"Accept": {"application/json"}}
	if d.apiKey.IsSet() {
		h.Set("Api-Key", d.apiKey.Reveal())
		h.Set("Api-Username", d.apiUser)
	}
	resp, err := d.fetch.Get(ctx, Request{URL: u, Header: h})
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) && se.Code == http.StatusTooManyRequests {
			if se.RetryAfter == 0 {
				// Discourse sends Retry-After; without one, its
				// per-10-seconds window is the shortest that may apply.
				se.RetryAfter = 10 * time.Second
			}
			d.hold.set("api", now.Add(se.RetryAfter))
		}
		// The Fetcher scrubs Authorization; Api-Key is Discourse's own.
		return nil, shown, fmt.Errorf("discourse source %q: %w", d.name, scrubErr(err, d.apiKey.Reveal()))
	}
	return resp.Body, shown, nil
}
