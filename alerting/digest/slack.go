package digest

import (
	"fmt"
	"strings"
)

// slackEscape escapes what Slack's mrkdwn gives meaning to: <...> is a
// link or a mention (@channel), & starts an entity.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// slackPayload is the digest as Block Kit: the numbers and a link to the
// dashboard's history (incoming webhooks cannot upload the chart).
func slackPayload(v *view) map[string]any {
	md := func(s string) map[string]any { return map[string]any{"type": "mrkdwn", "text": cutRunes(s, 2900)} }
	c, p := &v.R.Cur, &v.R.Prev
	blocks := []any{
		map[string]any{"type": "header", "text": map[string]any{"type": "plain_text", "text": cutRunes("📋 "+v.Title, 150), "emoji": true}},
		map[string]any{"type": "context", "elements": []any{md(slackEscape("Compared with " + v.R.Previous.Label() + ". Response targets: " + v.Targets + "."))}},
		map[string]any{"type": "section", "fields": []any{
			md(fmt.Sprintf("*Mentions*\n%d (%s)", c.Mentions, change(c.Mentions, p.Mentions))),
			md(fmt.Sprintf("*Complaints*\n%d, %s of mentions (%s)", c.Complaints, pct(c.ComplaintShare), change(c.Complaints, p.Complaints))),
			md(fmt.Sprintf("*Severity 1/2/3/4*\n%d / %d / %d / %d", c.Severity[1], c.Severity[2], c.Severity[3], c.Severity[4])),
			md(fmt.Sprintf("*Mean sentiment*\n%s (prev %s)", sentiment(c), sentiment(p))),
			md(fmt.Sprintf("*First response median / p90*\n%s / %s", v.Rows[5].Cur, v.Rows[6].Cur)),
			md(fmt.Sprintf("*Unanswered past target*\n%d (%s of complaints)", c.Overdue, pct(c.OverdueShare))),
			md(fmt.Sprintf("*Reply audit pass rate*\n%s of %d replies", pct(c.AuditPassRate), c.Replies)),
			md(fmt.Sprintf("*Answered within target*\n%s", pct(c.WithinTarget))),
		}},
	}
	var sb strings.Builder
	for _, s := range v.Sources {
		fmt.Fprintf(&sb, "• %s: %d mentions (%s), %d complaints, %d overdue\n", slackEscape(s.Name), s.Mentions, s.MentionsChange, s.Complaints, s.Overdue)
	}
	if sb.Len() > 0 {
		blocks = append(blocks, map[string]any{"type": "section", "text": md("*By source*\n" + sb.String())})
	}
	if len(v.Brands) > 1 {
		sb.Reset()
		for _, s := range v.Brands {
			fmt.Fprintf(&sb, "• %s: %d mentions (%s), %d complaints\n", slackEscape(s.Name), s.Mentions, s.MentionsChange, s.Complaints)
		}
		blocks = append(blocks, map[string]any{"type": "section", "text": md("*By brand*\n" + sb.String())})
	}
	if len(v.Terms) > 0 {
		var ts []string
		for _, t := range v.Terms {
			ts = append(ts, fmt.Sprintf("%s %d", slackEscape(t.Term), t.Cur))
		}
		blocks = append(blocks, map[string]any{"type": "section", "text": md("*Top complaint terms:* " + strings.Join(ts, " · "))})
	}
	if len(v.Top) > 0 {
		sb.Reset()
		sb.WriteString("*Highest-priority complaints*\n")
		for _, t := range v.Top {
			line := fmt.Sprintf("%d. %s, severity %d, %s: %s", t.Rank, slackEscape(t.Source), t.Severity, slackEscape(t.Status), slackEscape(cutRunes(t.Text, 200)))
			if t.URL != "" && !strings.ContainsAny(t.URL, "|<>") {
				line += " <" + t.URL + "|original>"
			}
			sb.WriteString(line + "\n")
		}
		blocks = append(blocks, map[string]any{"type": "section", "text": md(sb.String())})
	}
	if v.HistoryURL != "" {
		blocks = append(blocks, map[string]any{"type": "actions", "elements": []any{map[string]any{
			"type": "button", "action_id": "pantau-history", "url": v.HistoryURL,
			"text": map[string]any{"type": "plain_text", "text": "Open history"},
		}}})
	}
	return map[string]any{
		"text":         slackEscape(cutRunes(v.Title+": "+v.Summary, 2000)),
		"blocks":       blocks,
		"unfurl_links": false,
		"unfurl_media": false,
	}
}

// cutRunes shortens s to at most n characters with an ellipsis.
func cutRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
