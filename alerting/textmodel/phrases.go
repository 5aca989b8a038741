package textmodel

import "strings"

// Phrases are short token patterns for the signals that name an act: a
// threat, a follow-up, a move to a private channel. They are matched on
// canonical tokens, so "gk dibales" and "tidak dibalas" are one phrase.

type phraseCat uint8

const (
	catThreat phraseCat = iota
	catFollowUp
	catPrivate
)

type elemKind uint8

const (
	elWord  elemKind = iota // one canonical word
	elNeg                   // {neg}: any negator
	elReply                 // {reply}: any reply word
	elAddr                  // {addr}: the brand's agent addressed
	elQuest                 // ?: a question mark
	elAny                   // *: any one word
)

type elem struct {
	kind elemKind
	h    uint64
}

type phrase struct {
	elems  []elem
	cat    phraseCat
	threat int // index into Model.threat for catThreat
	text   string
}

func (m *Model) seedPhrases() {
	for id, t := range threatSeeds {
		m.threat = append(m.threat, t.name)
		for _, p := range strings.Split(t.phrases, ",") {
			m.addPhrase(p, catThreat, id)
		}
	}
	for _, p := range strings.Split(followUpSeeds, ",") {
		m.addPhrase(p, catFollowUp, -1)
	}
	for _, p := range strings.Split(privateSeeds, ",") {
		m.addPhrase(p, catPrivate, -1)
	}
}

func (m *Model) addPhrase(text string, cat phraseCat, threat int) {
	f := strings.Fields(text)
	if len(f) == 0 {
		return
	}
	p := phrase{cat: cat, threat: threat, text: strings.Join(f, " ")}
	for _, w := range f {
		var el elem
		switch w {
		case "{neg}":
			el.kind = elNeg
		case "{reply}":
			el.kind = elReply
		case "{addr}":
			el.kind = elAddr
		case "?":
			el.kind = elQuest
		case "*":
			el.kind = elAny
		default:
			i := m.word(w)
			m.ents[i].roles |= rLex
			if a := m.ents[i].alias; a >= 0 {
				i = m.aliases[a].e[0] // written informally in the seed: match the canonical word
			}
			el.h = m.hashes[i]
		}
		p.elems = append(p.elems, el)
	}
	m.phr = append(m.phr, p)
}

// linkPhrases attaches each phrase to the entries it can start with.
func (m *Model) linkPhrases() {
	for pi, p := range m.phr {
		first := p.elems[0]
		var need role
		switch first.kind {
		case elWord:
			if i := m.tab.get(first.h); i >= 0 {
				m.phrOf[i] = append(m.phrOf[i], int32(pi))
				m.ents[i].roles |= rPhrase
			}
			continue
		case elNeg:
			need = rNeg
		case elReply:
			need = rReply
		case elAddr:
			need = rAddress
		default:
			continue // a phrase never starts with "?" or "*"
		}
		for i := range m.ents {
			if m.ents[i].roles&need != 0 && m.ents[i].alias < 0 {
				m.phrOf[i] = append(m.phrOf[i], int32(pi))
				m.ents[i].roles |= rPhrase
			}
		}
	}
}

// matchAt reports whether phrase p matches the tokens from i on. Phrases
// do not cross a clause break, but may end on a question mark.
func (m *Model) matchAt(p *phrase, toks []tok, i int) bool {
	for _, el := range p.elems {
		// Emoji between words do not break a phrase.
		for i < len(toks) && toks[i].kind == kEmoji {
			i++
		}
		if i >= len(toks) {
			return false
		}
		t := &toks[i]
		switch el.kind {
		case elQuest:
			if t.kind != kQuest {
				return false
			}
		case elAny:
			if t.kind != kWord && t.kind != kNum {
				return false
			}
		case elWord:
			if (t.kind != kWord && t.kind != kNum) || t.h != el.h {
				return false
			}
		default:
			if t.kind != kWord || t.e < 0 {
				return false
			}
			r := m.ents[t.e].roles
			if el.kind == elNeg && r&rNeg == 0 || el.kind == elReply && r&rReply == 0 || el.kind == elAddr && r&rAddress == 0 {
				return false
			}
		}
		i++
	}
	return true
}
