package notify

import (
	"context"
	"strings"
)

// Discord posts to a channel webhook: one embed (title, what and why, the
// mention, links) with mentions disabled, so "@everyone" in a customer's
// post cannot ping the channel.
type Discord struct {
	*incomingWebhook
	username string
}

var _ Notifier = (*Discord)(nil)

func newDiscord(c *DiscordConfig, path string, d Deps) (*Discord, []error) {
	if c == nil {
		return nil, missingSection(path)
	}
	var errs []error
	w := newIncomingWebhook(KindDiscord, c.URL, c.URLFile, path, d, &errs)
	if len(c.Username) > 80 {
		errs = append(errs, fieldErr(path+".username", "at most 80 characters"))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return &Discord{incomingWebhook: w, username: c.Username}, nil
}

// Notify implements Notifier.
func (n *Discord) Notify(ctx context.Context, m Message) (bool, error) {
	return n.postJSON(ctx, discordPayload(m, n.username))
}

// discordEscape backslash-escapes Discord markdown, so a post cannot make
// links ([text](url)), headings, quotes or spoilers in the embed.
var discordEscaper = strings.NewReplacer(
	`\`, `\\`, `*`, `\*`, `_`, `\_`, `~`, `\~`, "`", "\\`", `|`, `\|`, `>`, `\>`, `<`, `\<`,
	`#`, `\#`, `-`, `\-`, `[`, `\[`, `]`, `\]`, `(`, `\(`, `)`, `\)`, `@`, `@`+"\u200b",
)

func discordEscape(s string) string { return discordEscaper.Replace(s) }

// discordLink is a markdown link to one of our URLs; parentheses and
// spaces are percent-encoded so the URL cannot end the link early.
func discordLink(label, u string) string {
	u = strings.NewReplacer("(", "%28", ")", "%29", " ", "%20").Replace(u)
	return "[" + label + "](" + u + ")"
}

// Colors by severity.
var discordColors = map[string]int{"critical": 0xD32F2F, "error": 0xF57C00, "warning": 0xFBC02D, "info": 0x1976D2}

// Discord's limits: title 256, description 4096, field value 1024,
// footer 2048.
func discordPayload(m Message, username string) map[string]any {
	var d strings.Builder
	if m.Summary != "" {
		d.WriteString(discordEscape(m.Summary))
	}
	if len(m.Reasons) > 0 {
		d.WriteString("\n\n**Why**")
		for _, r := range m.Reasons {
			d.WriteString("\n• " + discordEscape(r))
		}
	}
	if m.Excerpt != "" && m.Action == Trigger {
		d.WriteString("\n\n> " + discordEscape(m.Excerpt))
		if m.Author != "" {
			d.WriteString("\n— " + discordEscape(m.Author))
		}
	}
	var links []string
	if m.AckURL != "" {
		links = append(links, discordLink("**Acknowledge**", m.AckURL))
	}
	if m.MentionURL != "" {
		links = append(links, discordLink("Open mention", m.MentionURL))
	}
	if m.DashboardURL != "" {
		links = append(links, discordLink("Dashboard", m.DashboardURL))
	}
	desc := cut(d.String(), 3500)
	if len(links) > 0 {
		desc += "\n\n" + strings.Join(links, " · ")
	}
	color := discordColors[m.Severity]
	if m.Action == Resolve {
		color = 0x388E3C
	}
	embed := map[string]any{
		"title":       cut(icon(m.Action)+" "+m.Title, 256),
		"description": cut(desc, 4096),
		"color":       color,
		"footer":      map[string]any{"text": cut(discordEscape(facts(m)), 2048)},
		"timestamp":   m.At.UTC().Format("2006-01-02T15:04:05Z07:00"),
	}
	if m.DashboardURL != "" {
		embed["url"] = m.DashboardURL
	}
	p := map[string]any{
		"embeds":           []any{embed},
		"allowed_mentions": map[string]any{"parse": []string{}},
	}
	if username != "" {
		p["username"] = username
	}
	return p
}
