package ui

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pantau/pantau/store"
)

// GET /api/history/export?format=csv|json&(the history's parameters) is
// the history as a download: one row per series point per source × brand,
// then one total row per source × brand and one for everything. Rollups
// hold counts only, so the export carries no personal data.

// exportColumns are the CSV header; exportRow.cells follows it.
var exportColumns = []string{
	"row", "t", "source", "brand",
	"mentions", "brand_replies", "complaints", "complaint_share",
	"severity_1", "severity_2", "severity_3", "severity_4",
	"negative", "neutral", "positive", "sentiment_mean",
	"answered", "answered_within_target", "unanswered_past_target", "unanswered_share",
	"response_15m", "response_1h", "response_4h", "response_24h", "response_inf",
	"audit_pass", "audit_fail", "audit_pass_rate",
}

// Row kinds.
const (
	rowPoint       = "point"        // one step of one source × brand
	rowSourceBrand = "source_total" // the period's total of one source × brand
	rowTotal       = "total"        // the period's total of everything asked for
)

// exportRow is one row; T is empty for totals.
type exportRow struct {
	Row    string        `json:"row"`
	T      *time.Time    `json:"t,omitempty"`
	Source string        `json:"source"`
	Brand  string        `json:"brand"`
	Totals historyTotals `json:"totals"`
}

type exportDoc struct {
	From time.Time   `json:"from"`
	To   time.Time   `json:"to"`
	Step string      `json:"step"`
	Rows []exportRow `json:"rows"`
}

// historyExport answers GET /api/history/export.
func (s *Server) historyExport(w http.ResponseWriter, r *http.Request) {
	p, q, err := s.parseHistory(r, "format")
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	format := p.str("format")
	if format == "" {
		format = "csv"
	}
	if format != "csv" && format != "json" {
		writeError(w, http.StatusBadRequest, fmt.Sprintf(`query parameter "format": %q is not csv or json`, clip(format, 50)))
		return
	}
	resp, err := s.buildHistory(q, true)
	if err != nil {
		s.internalError(w, r, "read history", err)
		return
	}
	doc := exportDoc{From: q.from, To: q.to, Step: q.step, Rows: exportRows(resp)}
	// The names are ours (digits and letters), safe in the header.
	name := fmt.Sprintf("pantau-history-%s-%s.%s", q.from.Format("20060102T1504Z"), q.to.Format("20060102T1504Z"), format)
	h := w.Header()
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	if format == "json" {
		writeJSON(w, http.StatusOK, doc)
		return
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.Write(exportColumns)
	for i := range doc.Rows {
		cw.Write(doc.Rows[i].cells())
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		s.internalError(w, r, "write csv", err)
		return
	}
	h.Set("Content-Type", "text/csv; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
}

// exportRows lays out the rows: points in time order, each point's
// source × brand pairs by name; then the pairs' totals; then the total.
func exportRows(resp *historyResponse) []exportRow {
	h, q := resp.counts, resp.query
	keys := make([]cellKey, 0, len(h.cells))
	for k := range h.cells {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b cellKey) int {
		if a.point != b.point {
			return a.point - b.point
		}
		return strings.Compare(a.source+"\x00"+a.brand, b.source+"\x00"+b.brand)
	})
	rows := make([]exportRow, 0, len(keys)+len(keys)/max(len(h.series), 1)+2)
	pairs := map[[2]string]*store.Counts{}
	for _, k := range keys {
		t := q.from.Add(time.Duration(k.point) * q.stepLen)
		rows = append(rows, exportRow{Row: rowPoint, T: &t, Source: k.source, Brand: k.brand, Totals: totalsOf(h.cells[k])})
		pk := [2]string{k.source, k.brand}
		if pairs[pk] == nil {
			pairs[pk] = &store.Counts{}
		}
		pairs[pk].AddFigures(h.cells[k], 1)
	}
	pks := make([][2]string, 0, len(pairs))
	for k := range pairs {
		pks = append(pks, k)
	}
	slices.SortFunc(pks, func(a, b [2]string) int { return strings.Compare(a[0]+"\x00"+a[1], b[0]+"\x00"+b[1]) })
	for _, k := range pks {
		rows = append(rows, exportRow{Row: rowSourceBrand, Source: k[0], Brand: k[1], Totals: totalsOf(pairs[k])})
	}
	return append(rows, exportRow{Row: rowTotal, Source: q.source, Brand: q.brand, Totals: resp.Totals})
}

// cells is the row as CSV fields, in exportColumns' order. Numbers are
// written by us; the names are neutralised against formula injection.
func (r *exportRow) cells() []string {
	t := ""
	if r.T != nil {
		t = r.T.Format(time.RFC3339)
	}
	T := &r.Totals
	i := func(n int64) string { return strconv.FormatInt(n, 10) }
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	out := []string{r.Row, t, csvText(r.Source), csvText(r.Brand),
		i(T.Mentions), i(T.BrandReplies), i(T.Complaints), f(T.ComplaintShare),
		i(T.Severity.S1), i(T.Severity.S2), i(T.Severity.S3), i(T.Severity.S4),
		i(T.Sentiment.Negative), i(T.Sentiment.Neutral), i(T.Sentiment.Positive), f(T.Sentiment.Mean),
		i(T.Answered), i(T.AnsweredWithinTarget), i(T.UnansweredPastTarget), f(T.UnansweredShare),
	}
	for _, rc := range T.ResponseTime {
		out = append(out, i(rc.Count))
	}
	return append(out, i(T.Audit.Pass), i(T.Audit.Fail), f(T.Audit.PassRate))
}

// csvText neutralises a text cell a spreadsheet would run as a formula
// (=, +, -, @, and the tab and carriage return that can hide one) by
// putting an apostrophe in front, which spreadsheets show as text.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
