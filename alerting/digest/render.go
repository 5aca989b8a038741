package digest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/pantau/pantau/alerting/notify"
)

// chartCID is the chart's Content-ID in the e-mail.
const chartCID = "chart@pantau"

// Rendered is a digest in every form it is sent or previewed in.
type Rendered struct {
	Message notify.Message
	Chart   []byte // PNG
}

// RenderOptions are what rendering needs beyond the report.
type RenderOptions struct {
	// PublicURL is the dashboard's address; empty leaves out dashboard
	// links.
	PublicURL string
	// Now stamps the message; nil means the report's time.
	Now func() time.Time
}

// Render turns a report into the notification message the outbox stores:
// plain text, escaped HTML with the chart inline, and Slack Block Kit.
func Render(r *Report, o RenderOptions) (*Rendered, error) {
	chart, err := Chart(r)
	if err != nil {
		return nil, fmt.Errorf("digest chart: %w", err)
	}
	v := newView(r, o.PublicURL)
	var h bytes.Buffer
	if err := mailHTML.Execute(&h, v); err != nil {
		return nil, fmt.Errorf("digest html: %w", err)
	}
	slack, err := json.Marshal(slackPayload(v))
	if err != nil {
		return nil, err
	}
	at := r.At
	if o.Now != nil {
		at = o.Now()
	}
	msg := notify.Message{
		Version:      notify.MessageVersion,
		AlertID:      ID(r.Kind, r.Period),
		Action:       notify.Digest,
		Title:        v.Title,
		Summary:      v.Summary,
		Severity:     "info",
		DashboardURL: v.HistoryURL,
		At:           at,
		Digest: &notify.DigestContent{
			Subject: "[Pantau] " + v.Title,
			Text:    plainText(v),
			HTML:    h.String(),
			Images:  []notify.InlineImage{{ContentID: chartCID, ContentType: "image/png", Filename: "pantau-" + string(r.Kind) + ".png", Data: chart}},
			Slack:   slack,
		},
	}
	return &Rendered{Message: msg, Chart: chart}, nil
}

// view is the report as the templates show it: every figure formatted,
// every text masked and on one line.
type view struct {
	R          *Report
	Title      string
	Summary    string
	HistoryURL string
	Rows       []row
	Severity   []row
	Sources    []shareRow
	Brands     []shareRow
	Terms      []Term
	Top        []topRow
	ChartCID   string
	Targets    string
}

type row struct{ Label, Cur, Prev, Change string }

type shareRow struct {
	Name                            string
	Mentions, Complaints, Overdue   int
	PrevMentions, PrevComplaints    int
	MentionsChange, ComplaintChange string
}

type topRow struct {
	Complaint
	Rank         int
	When         string
	DashboardURL string
}

func newView(r *Report, publicURL string) *view {
	c, p := &r.Cur, &r.Prev
	kind := "Daily"
	if r.Kind == Weekly {
		kind = "Weekly"
	}
	v := &view{R: r, ChartCID: chartCID}
	v.Title = kind + " reputation digest: " + r.Period.Label()
	if len(r.Brands) > 0 {
		v.Title += " [" + notify.OneLine(strings.Join(r.Brands, ", "), 80) + "]"
	}
	v.Summary = fmt.Sprintf("%d mentions (%s), %d complaints (%s of mentions, %s), %d unanswered past target, reply audit pass rate %s",
		c.Mentions, change(c.Mentions, p.Mentions), c.Complaints, pct(c.ComplaintShare), change(c.Complaints, p.Complaints),
		c.Overdue, pct(c.AuditPassRate))
	base := strings.TrimRight(notify.WebURL(publicURL), "/")
	if base != "" {
		v.HistoryURL = historyURL(base, r.Period)
	}
	dur := func(d time.Duration, n int) string {
		if n == 0 {
			return "–"
		}
		return fmtDuration(d)
	}
	// A share of nothing is shown as a dash, not as 0%.
	share := func(x float64, of int) string {
		if of == 0 {
			return "–"
		}
		return pct(x)
	}
	shareChange := func(c float64, cn int, p float64, pn int) string {
		if cn == 0 || pn == 0 {
			return ""
		}
		return pointChange(c, p)
	}
	v.Rows = []row{
		{"Mentions", fmt.Sprint(c.Mentions), fmt.Sprint(p.Mentions), change(c.Mentions, p.Mentions)},
		{"Complaints", fmt.Sprint(c.Complaints), fmt.Sprint(p.Complaints), change(c.Complaints, p.Complaints)},
		{"Complaint share", share(c.ComplaintShare, c.Mentions), share(p.ComplaintShare, p.Mentions), shareChange(c.ComplaintShare, c.Mentions, p.ComplaintShare, p.Mentions)},
		{"Mean sentiment (-1..+1)", sentiment(c), sentiment(p), sentimentChange(c, p)},
		{"Positive / neutral / negative", fmt.Sprintf("%d / %d / %d", c.Positive, c.Neutral, c.Negative), fmt.Sprintf("%d / %d / %d", p.Positive, p.Neutral, p.Negative), ""},
		{"First response, median", dur(c.RespMedian, c.Answered), dur(p.RespMedian, p.Answered), ""},
		{"First response, p90", dur(c.RespP90, c.Answered), dur(p.RespP90, p.Answered), ""},
		{"Answered within target", share(c.WithinTarget, c.Answered), share(p.WithinTarget, p.Answered), shareChange(c.WithinTarget, c.Answered, p.WithinTarget, p.Answered)},
		{"Complaints unanswered past target", fmt.Sprintf("%d (%s)", c.Overdue, share(c.OverdueShare, c.Complaints)), fmt.Sprintf("%d (%s)", p.Overdue, share(p.OverdueShare, p.Complaints)), shareChange(c.OverdueShare, c.Complaints, p.OverdueShare, p.Complaints)},
		{"Reply audit pass rate", fmt.Sprintf("%s of %d", share(c.AuditPassRate, c.Replies), c.Replies), fmt.Sprintf("%s of %d", share(p.AuditPassRate, p.Replies), p.Replies), shareChange(c.AuditPassRate, c.Replies, p.AuditPassRate, p.Replies)},
	}
	names := [5]string{"", "1 no explicit reproach", "2 disapproval", "3 accusation", "4 blame"}
	for s := 1; s <= 4; s++ {
		v.Severity = append(v.Severity, row{names[s], fmt.Sprint(c.Severity[s]), fmt.Sprint(p.Severity[s]), change(c.Severity[s], p.Severity[s])})
	}
	shares := func(ss []Share) []shareRow {
		var out []shareRow
		for _, s := range ss {
			name := notify.OneLine(s.Name, 80)
			if name == "" {
				name = "(none)"
			}
			out = append(out, shareRow{Name: name, Mentions: s.Cur.Mentions, Complaints: s.Cur.Complaints, Overdue: s.Cur.Overdue,
				PrevMentions: s.Prev.Mentions, PrevComplaints: s.Prev.Complaints,
				MentionsChange: change(s.Cur.Mentions, s.Prev.Mentions), ComplaintChange: change(s.Cur.Complaints, s.Prev.Complaints)})
		}
		return out
	}
	v.Sources, v.Brands = shares(r.BySource), shares(r.ByBrand)
	v.Terms = r.Terms
	for i, t := range r.Top {
		tr := topRow{Complaint: t, Rank: i + 1, When: t.At.In(r.Period.Start.Location()).Format("Mon 2 Jan 15:04")}
		if base != "" {
			tr.DashboardURL = mentionURL(base, t.Key)
		}
		v.Top = append(v.Top, tr)
	}
	var ts []string
	for _, t := range r.Targets {
		ts = append(ts, fmtDuration(t))
	}
	v.Targets = strings.Join(ts, ", ")
	if v.Targets == "" {
		v.Targets = "–"
	}
	return v
}

// sentiment is the mean sentiment, or a dash when nothing was scored.
func sentiment(n *Numbers) string {
	if n.Scored == 0 {
		return "–"
	}
	return fmt.Sprintf("%+.2f", n.Sentiment)
}

func sentimentChange(c, p *Numbers) string {
	if c.Scored == 0 || p.Scored == 0 {
		return ""
	}
	return fmt.Sprintf("%+.2f", c.Sentiment-p.Sentiment)
}

// The dashboard's screens are hash routes: #/history and #/mention/<key>
// (the router URI-decodes what follows the screen's name). The history
// link carries the digest's period for the screen to open on; a screen
// that does not read it yet opens on its default period.
func historyURL(base string, p Period) string {
	q := url.Values{"from": {p.Start.Format(time.RFC3339)}, "to": {p.End.Format(time.RFC3339)}}
	return base + "/#/history/" + q.Encode()
}

func mentionURL(base, key string) string {
	return base + "/#/mention/" + url.PathEscape(key)
}

func plainText(v *view) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", v.Title)
	fmt.Fprintf(&b, "Compared with %s. Response targets: %s.\n\n", v.R.Previous.Label(), v.Targets)
	table := func(title string, rows []row) {
		fmt.Fprintf(&b, "%s\n", title)
		for _, r := range rows {
			fmt.Fprintf(&b, "  %-34s %14s  (prev %s) %s\n", r.Label, r.Cur, r.Prev, r.Change)
		}
		b.WriteString("\n")
	}
	table("Numbers", v.Rows)
	table("Complaints by severity", v.Severity)
	shares := func(title string, rows []shareRow) {
		if len(rows) == 0 {
			return
		}
		fmt.Fprintf(&b, "%s\n", title)
		for _, r := range rows {
			fmt.Fprintf(&b, "  %-24s %5d mentions (%s), %4d complaints (%s), %d overdue\n", r.Name, r.Mentions, r.MentionsChange, r.Complaints, r.ComplaintChange, r.Overdue)
		}
		b.WriteString("\n")
	}
	shares("By source", v.Sources)
	shares("By brand", v.Brands)
	if len(v.Terms) > 0 {
		b.WriteString("Top complaint terms\n")
		for _, t := range v.Terms {
			fmt.Fprintf(&b, "  %-20s %d complaints (prev %d)\n", t.Term, t.Cur, t.Prev)
		}
		b.WriteString("\n")
	}
	if len(v.Top) > 0 {
		b.WriteString("Highest-priority complaints\n")
		for _, t := range v.Top {
			fmt.Fprintf(&b, "%d. [%s] severity %d, priority %.2f, %s, %s: %s\n", t.Rank, t.Source, t.Severity, t.Priority, t.When, t.Status, t.Author)
			fmt.Fprintf(&b, "   %s\n", t.Text)
			if t.URL != "" {
				fmt.Fprintf(&b, "   Original: %s\n", t.URL)
			}
			if t.DashboardURL != "" {
				fmt.Fprintf(&b, "   Dashboard: %s\n", t.DashboardURL)
			}
		}
		b.WriteString("\n")
	}
	if v.HistoryURL != "" {
		fmt.Fprintf(&b, "History on the dashboard: %s\n", v.HistoryURL)
	}
	b.WriteString("\n-- \nSent by Pantau. Personal data in mentions is masked.\n")
	return b.String()
}

// mailHTML escapes every value (html/template); mention text can only
// ever appear as text. Links pass html/template's URL filter too.
var mailHTML = template.Must(template.New("digest").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body style="font-family:system-ui,-apple-system,Segoe UI,sans-serif;line-height:1.4;color:#222;max-width:760px">
<h2 style="margin:0 0 .3em">{{.Title}}</h2>
<p style="color:#555;margin-top:0">Compared with {{.R.Previous.Label}}. Response targets: {{.Targets}}.</p>
<img src="cid:{{.ChartCID}}" width="720" height="300" alt="Mentions per period, this period against the previous one, complaints in red" style="max-width:100%;height:auto">
<table style="border-collapse:collapse;margin:1em 0" cellpadding="4">
<tr style="background:#f2f2f2"><th align="left">Numbers</th><th align="right">This period</th><th align="right">Previous</th><th align="right">Change</th></tr>
{{range .Rows}}<tr style="border-top:1px solid #eee"><td>{{.Label}}</td><td align="right"><b>{{.Cur}}</b></td><td align="right">{{.Prev}}</td><td align="right">{{.Change}}</td></tr>
{{end}}<tr style="background:#f2f2f2"><th align="left">Complaints by severity</th><th></th><th></th><th></th></tr>
{{range .Severity}}<tr style="border-top:1px solid #eee"><td>{{.Label}}</td><td align="right">{{.Cur}}</td><td align="right">{{.Prev}}</td><td align="right">{{.Change}}</td></tr>
{{end}}</table>
{{if .Sources}}<h3>By source</h3>
<table style="border-collapse:collapse" cellpadding="4"><tr style="background:#f2f2f2"><th align="left">Source</th><th align="right">Mentions</th><th align="right">Change</th><th align="right">Complaints</th><th align="right">Change</th><th align="right">Overdue</th></tr>
{{range .Sources}}<tr style="border-top:1px solid #eee"><td>{{.Name}}</td><td align="right">{{.Mentions}}</td><td align="right">{{.MentionsChange}}</td><td align="right">{{.Complaints}}</td><td align="right">{{.ComplaintChange}}</td><td align="right">{{.Overdue}}</td></tr>
{{end}}</table>{{end}}
{{if .Brands}}<h3>By brand</h3>
<table style="border-collapse:collapse" cellpadding="4"><tr style="background:#f2f2f2"><th align="left">Brand</th><th align="right">Mentions</th><th align="right">Change</th><th align="right">Complaints</th><th align="right">Change</th><th align="right">Overdue</th></tr>
{{range .Brands}}<tr style="border-top:1px solid #eee"><td>{{.Name}}</td><td align="right">{{.Mentions}}</td><td align="right">{{.MentionsChange}}</td><td align="right">{{.Complaints}}</td><td align="right">{{.ComplaintChange}}</td><td align="right">{{.Overdue}}</td></tr>
{{end}}</table>{{end}}
{{if .Terms}}<h3>Top complaint terms</h3>
<p>{{range $i, $t := .Terms}}{{if $i}} · {{end}}<b>{{$t.Term}}</b> {{$t.Cur}} <span style="color:#888">(prev {{$t.Prev}})</span>{{end}}</p>{{end}}
{{if .Top}}<h3>Highest-priority complaints</h3>
<ol>{{range .Top}}<li style="margin-bottom:.8em"><span style="color:#666">{{.Source}} · severity {{.Severity}} · priority {{printf "%.2f" .Priority}} · {{.When}} · {{.Status}}</span><br>
<blockquote style="border-left:3px solid #db4437;margin:.3em 0;padding-left:.8em">{{.Text}}<br>— {{.Author}}</blockquote>
{{if .URL}}<a href="{{.URL}}">Original</a>{{end}}{{if .DashboardURL}} &nbsp; <a href="{{.DashboardURL}}">Dashboard</a>{{end}}</li>
{{end}}</ol>{{end}}
{{if .HistoryURL}}<p><a href="{{.HistoryURL}}" style="font-weight:bold">Open the history on the dashboard</a></p>{{end}}
<p style="color:#888;font-size:85%">Sent by Pantau. Personal data in mentions is masked.</p>
</body></html>
`))
