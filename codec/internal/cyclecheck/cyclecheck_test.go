package cyclecheck

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cachekit/cachekit/codec/internal/limits"
)

type node struct {
	Name string
	Next *node
}

type tree struct {
	Kids []*tree
	Meta map[string]any
}

type candle struct {
	OpenTime time.Time
	Open     decimal.Decimal
}

type inner struct {
	Label string
	At    time.Time
	Price decimal.Decimal
}

// acyclic holds pointers, maps and slices, none of which can lead back to itself.
type acyclic struct {
	At      *time.Time
	Nested  inner
	Ptr     *inner
	Candles []candle
	ByKey   map[string]candle
	PtrKey  map[string]*inner
	Grid    [2][2]int
	Levels  map[string][]float64
	Skipped *node `json:"-"`
}

// The walk runs only for values whose type can be cyclic.
func TestCycleAnalysis(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want bool
	}{
		{[]candle{}, false},
		{map[string]candle{}, false},
		{acyclic{}, false},
		{&inner{}, false},
		{[][]*inner{}, false},
		{node{}, true},
		{tree{}, true},
		{map[string]any{}, true},
		{[]any{}, true},
		{struct{ E error }{}, false}, // msgpack writes an error as its message
		{struct{ D decimal.Decimal }{}, false},
		{struct {
			N *node `msgpack:"-"`
		}{}, false},
		{struct {
			N *node `json:"-"`
		}{}, false},
	} {
		typ := reflect.TypeOf(tc.v)
		if got := planFor(typ) != nil; got != tc.want {
			t.Errorf("%s: walked = %v, want %v", typ, got, tc.want)
		}
	}
}

func TestCheck(t *testing.T) {
	selfPtr := &node{Name: "a"}
	selfPtr.Next = selfPtr
	selfMap := map[string]any{}
	selfMap["me"] = selfMap
	selfSlice := []any{nil, 1}
	selfSlice[0] = selfSlice
	var selfIface any
	selfIface = &selfIface
	for name, v := range map[string]any{"pointer": selfPtr, "map": selfMap, "slice": selfSlice, "interface": &selfIface} {
		if err := Check(v); err == nil || !strings.Contains(err.Error(), "refers back to itself") {
			t.Errorf("%s: Check = %v, want a cycle error", name, err)
		}
	}

	shared := &node{Name: "shared"}
	m := map[string]any{"a": shared, "b": shared}
	for name, v := range map[string]any{"shared": []any{m, m}, "nil": nil, "acyclic": acyclic{}, "nil pointer": (*node)(nil)} {
		if err := Check(v); err != nil {
			t.Errorf("%s: Check = %v, want nil", name, err)
		}
	}

	// Each node is two levels: the pointer and the struct.
	list := func(n int) *node {
		var head *node
		for range n {
			head = &node{Next: head}
		}
		return head
	}
	if err := Check(list(limits.MaxDepth/2 + 1)); err == nil || err.Error() != "value nests deeper than 10000 levels" {
		t.Errorf("too deep: Check = %v, want the depth error", err)
	}
	if err := Check(list(limits.MaxDepth / 2)); err != nil {
		t.Errorf("just deep enough: Check = %v", err)
	}
}
