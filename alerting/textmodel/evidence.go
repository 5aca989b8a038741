package textmodel

import (
	"strconv"
	"strings"
)

// evidence writes the reasons: the words that weighed most for the verdict,
// what was negated, and the rule-based signals. Staff read these next to
// the mention, so they quote canonical words, never raw input beyond a
// word, and stay short.
func (m *Model) evidence(z *scratch, o *outputs, lang Lang, share float64) []string {
	ev := make([]string, 0, 6)
	if share > 0.25 && share < 0.75 {
		ev = append(ev, "code-mixed Indonesian and English")
	}

	// The words behind the verdict: for a complaint, the features that
	// pushed the complaint up (English head) or the sentiment down
	// (Indonesian); otherwise the ones behind the sentiment.
	// mode: 1 complaint, 2 negative, 3 positive.
	var kind string
	mode := 0
	w := o.idW
	switch {
	case o.complaint >= ComplaintThreshold:
		kind, mode = "complaint words: ", 1
	case o.sentiment <= -0.3:
		kind, mode = "negative words: ", 2
	case o.sentiment >= 0.3:
		kind, mode = "positive words: ", 3
	}
	if kind != "" {
		var top [3]int32
		var topS [3]float64
		n := 0
		for _, i := range z.hits {
			// The feature's pull toward the verdict in each language's head.
			var sID, sEN float64
			if o := m.ents[i].wID; o >= 0 && w > 0 {
				r := m.wID[o : o+nIDSlots]
				sID = float64(r[slotIDNeg] - r[slotIDPos])
				if mode == 3 {
					sID = -sID
				}
			}
			if o := m.ents[i].wEN; o >= 0 && w < 1 {
				r := m.wEN[o : o+nENSlots]
				const b = slotENNeg // r starts at the first English slot
				switch mode {
				case 1:
					sEN = float64(r[slotENCompl-b])
				case 2:
					sEN = float64(r[slotENNeg-b] - r[slotENPos-b])
				default:
					sEN = float64(r[slotENPos-b] - r[slotENNeg-b])
				}
			}
			s := (1-w)*sEN + w*sID
			if s < 0.25 {
				continue
			}
			dup := false
			for k := range n {
				dup = dup || top[k] == i
			}
			if dup {
				continue
			}
			// Insert into the top three, best first.
			k := min(n, 2)
			if n == 3 && s <= topS[2] {
				continue
			}
			for k > 0 && topS[k-1] < s {
				top[k], topS[k] = top[k-1], topS[k-1]
				k--
			}
			top[k], topS[k] = i, s
			n = min(n+1, 3)
		}
		if n > 0 {
			var b strings.Builder
			b.Grow(64)
			b.WriteString(kind)
			for k := range n {
				if k > 0 {
					b.WriteString(", ")
				}
				b.WriteByte('\'')
				writeFeature(&b, m.names[top[k]])
				b.WriteByte('\'')
			}
			ev = append(ev, b.String())
		}
	}
	for k := range z.nNegated {
		p := z.negated[k]
		ev = append(ev, "negated: '"+z.text(m, &z.toks[p[0]])+" "+z.text(m, &z.toks[p[1]])+"'")
	}
	if z.sarc >= 0 {
		ev = append(ev, "sarcasm: '"+z.text(m, &z.toks[z.sarc])+"' before a problem")
	}
	if z.shouts >= 2 || z.shouts == 1 && z.words <= 4 {
		ev = append(ev, "shouting: "+strconv.Itoa(z.shouts)+" word"+plural(z.shouts)+" in capitals")
	}
	if z.excl >= 3 {
		ev = append(ev, "emphasis: "+strconv.Itoa(z.excl)+" exclamation marks")
	}
	if z.elong > 0 {
		ev = append(ev, "stretched words: "+strconv.Itoa(z.elong))
	}
	if z.emoNeg >= 1.5 {
		ev = append(ev, "negative emoji")
	}
	for i, name := range m.threat {
		if z.threats&(1<<uint(i)) != 0 {
			ev = append(ev, "threat: "+name)
		}
	}
	if z.followUp {
		ev = append(ev, "follow-up: chasing an answer")
	}
	if z.private {
		ev = append(ev, "private channel: moves to DM, e-mail or phone")
	}
	if o.arousal >= 0.5 {
		ev = append(ev, "high arousal "+fmtPct(o.arousal))
	}
	return ev
}

// writeFeature writes a feature name for people: "!enak" is "not enak".
func writeFeature(b *strings.Builder, name string) {
	if len(name) > 1 && name[0] == '!' {
		b.WriteString("not ")
		name = name[1:]
	}
	b.WriteString(name)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
