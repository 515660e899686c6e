package jsonpdata

import (
	"fmt"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// What decoding one page may build is bounded, so that memory stays bounded whatever a vendor
// sends: the HTTP client caps the bytes of a page, and a Budget caps the values decoded from
// them. A JSON value costs far more in pdata than in text (about 50 bytes for a one-byte 0 or
// an empty {}), so a page within the byte cap could otherwise expand forty-fold.
const (
	// ValuesPerRecord sizes a page's budget: real audit records hold 20 to 60 values, so a page
	// of page_size records at 1,024 each is refused only when it is far from any real page. A
	// full CyberArk page (500) may decode into 512,000 values, about 30 MiB of pdata.
	ValuesPerRecord = 1024
	// RecordCost is what a record costs on top of its values: the log record, its attributes
	// and its checkpoint key weigh about as much as 32 values.
	RecordCost = 32
	// maxMembers bounds the members of one object: pcommon.Map looks a name up in the members
	// before adding it, so decoding an object costs the square of its size.
	maxMembers = 1024
)

// Repair is what decoding altered in a record to keep it instead of failing its page.
type Repair uint8

const (
	// RepairDepth: an object or array nested deeper than maxDepth was kept as its JSON text.
	RepairDepth Repair = 1 << iota
	// RepairUTF8: invalid UTF-8 in a member name or a string was replaced with U+FFFD.
	RepairUTF8
)

// RepairedAttribute is the log record attribute that lists what was repaired, e.g. ["depth",
// "utf8"]. Both receivers set it, and only on a repaired record.
const RepairedAttribute = "audit.record.repaired"

// Names returns the repairs in a fixed order: "depth", "utf8".
func (r Repair) Names() []string {
	var names []string
	if r&RepairDepth != 0 {
		names = append(names, "depth")
	}
	if r&RepairUTF8 != 0 {
		names = append(names, "utf8")
	}
	return names
}

// Mark puts RepairedAttribute on a record's attributes when r is not zero.
func (r Repair) Mark(attrs pcommon.Map) {
	if r == 0 {
		return
	}
	s := attrs.PutEmptySlice(RepairedAttribute)
	for _, n := range r.Names() {
		s.AppendEmpty().SetStr(n)
	}
}

// Budget bounds what decoding one page builds and notes what it repaired in the current record.
// It is used by one goroutine at a time.
type Budget struct {
	left, limit int
	repaired    Repair
}

// minBudgetRecords is the least a budget is sized for, so that on a page of few records one
// unusually large record still fits.
const minBudgetRecords = 64

// NewBudget returns the budget of a page of up to records records: records × ValuesPerRecord,
// and no less than for 64 records.
func NewBudget(records int) *Budget {
	n := max(records, minBudgetRecords) * ValuesPerRecord
	return &Budget{left: n, limit: n}
}

// Record charges a new record's own cost and starts noting its repairs.
func (b *Budget) Record() error {
	b.repaired = 0
	return b.spend(RecordCost)
}

// Repaired returns what was repaired since the last call of Record.
func (b *Budget) Repaired() Repair { return b.repaired }

func (b *Budget) spend(n int) error {
	if b.left < n {
		return &LimitError{What: "JSON values", Limit: b.limit}
	}
	b.left -= n
	return nil
}

// LimitError is a page that would decode into more than a bound allows. The page is refused
// whole: it is far from anything a vendor API sends.
type LimitError struct {
	What  string
	Limit int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("the page holds more than %d %s, the limit that keeps decoding one page within bounded memory", e.Limit, e.What)
}
