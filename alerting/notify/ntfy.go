package notify

import (
	"context"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/pantau/pantau/store/secret"
)

// Ntfy publishes to an ntfy topic: the body is the plain-text message and
// the headers carry the title, priority, tags, the click target and up to
// three view actions (Acknowledge, the mention, the dashboard).
type Ntfy struct {
	shown
	url      secret.Secret
	token    secret.Secret
	priority int
	tags     []string
	p        *poster
}

var _ Notifier = (*Ntfy)(nil)

func newNtfy(c *NtfyConfig, path string, d Deps) (*Ntfy, []error) {
	if c == nil {
		return nil, missingSection(path)
	}
	var errs []error
	u := resolveSecret(c.URL, c.URLFile, path, "url", true, &errs)
	if u.IsSet() {
		checkURL(u.Reveal(), path+".url", true, &errs)
	}
	tok := resolveSecret(c.Token, c.TokenFile, path, "token", false, &errs)
	if c.Priority != 0 && (c.Priority < 1 || c.Priority > 5) {
		errs = append(errs, fieldErr(path+".priority", "must be 1 to 5, got %d", c.Priority))
	}
	for i, t := range c.Tags {
		if t == "" || strings.ContainsAny(t, ",\r\n") || len(t) > 64 {
			errs = append(errs, fieldErr(path+".tags["+strconv.Itoa(i)+"]", "must be 1 to 64 characters without commas"))
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	prio := c.Priority
	if prio == 0 {
		prio = 4
	}
	red := &redactor{}
	red.addURL(u.Reveal())
	red.add(tok.Reveal())
	return &Ntfy{shown: describe(KindNtfy, shownURL(u.Reveal(), true)), url: u, token: tok, priority: prio, tags: slices.Clone(c.Tags), p: newPoster(KindNtfy, d, red, shownURL(u.Reveal(), true))}, nil
}

// headerText makes a header value of s: one line, and RFC 2047-encoded
// when it is not ASCII (ntfy decodes it).
func headerText(s string, n int) string {
	return mime.BEncoding.Encode("utf-8", OneLine(s, n))
}

// ntfyActionURL quotes a URL for the Actions header, where ',' and ';'
// separate fields and actions; a URL with a double quote is dropped.
func ntfyActionURL(u string) string {
	if strings.ContainsAny(u, `"'`) {
		return ""
	}
	if strings.ContainsAny(u, ",;") {
		return `"` + u + `"`
	}
	return u
}

// Notify implements Notifier.
func (n *Ntfy) Notify(ctx context.Context, m Message) (bool, error) {
	prio, tags := n.priority, []string{"rotating_light"}
	switch m.Action {
	case Acknowledge:
		prio, tags = 2, []string{"eyes"}
	case Resolve:
		prio, tags = 2, []string{"white_check_mark"}
	case Digest:
		prio, tags = 3, []string{"clipboard"}
	}
	tags = append(tags, n.tags...)
	h := http.Header{
		"Content-Type": {"text/plain; charset=utf-8"},
		"Title":        {headerText(m.Title, 200)},
		"Priority":     {strconv.Itoa(prio)},
		"Tags":         {strings.Join(tags, ",")},
	}
	if click := firstNonEmpty(m.MentionURL, m.DashboardURL); click != "" {
		h.Set("Click", click)
	}
	var actions []string
	for _, a := range []struct{ label, url string }{
		{"Acknowledge", m.AckURL}, {"Open mention", m.MentionURL}, {"Dashboard", m.DashboardURL},
	} {
		if u := ntfyActionURL(a.url); u != "" {
			actions = append(actions, "view, "+a.label+", "+u)
		}
	}
	if len(actions) > 0 {
		h.Set("Actions", strings.Join(actions, "; "))
	}
	if n.token.IsSet() {
		h.Set("Authorization", "Bearer "+n.token.Reveal())
	}
	return n.p.post(ctx, n.url.Reveal(), h, []byte(plainText(m)))
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// plainText is the message as plain text, for ntfy and e-mail.
func plainText(m Message) string {
	var b strings.Builder
	if m.Summary != "" {
		b.WriteString(m.Summary)
		b.WriteString("\n")
	}
	if len(m.Reasons) > 0 {
		b.WriteString("\nWhy:\n")
		for _, r := range m.Reasons {
			b.WriteString("• " + r + "\n")
		}
	}
	if m.Excerpt != "" && m.Action == Trigger {
		b.WriteString("\n“" + m.Excerpt + "”")
		if m.Author != "" {
			b.WriteString(" — " + m.Author)
		}
		b.WriteString("\n")
	}
	if f := facts(m); f != "" {
		b.WriteString("\n" + f + "\n")
	}
	return strings.TrimSpace(b.String())
}
