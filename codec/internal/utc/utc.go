// Package utc converts the time.Time values inside a decoded value to UTC, in place. encoding/json keeps
// the offset written in the text (a fixed zone, or Local when the offset matches it) and msgpack decodes
// its timestamp extension with time.Unix, which is Local; codec promises UTC instants.
//
// What is converted: time.Time values the codec could have set — through exported or embedded fields,
// pointers, slices, arrays, map values and interfaces — with Time.UTC(). Types that decode themselves
// (an UnmarshalJSON, a DecodeMsgpack, ...) are left as their method made them, and so are map keys.
// Types that cannot hold a time.Time skip the walk after one cached type lookup.
//
// The walk runs after every decode, so it is compiled per type into a plan: the offsets of the times a
// value holds in its own memory (through nested structs and arrays) and the references (pointers,
// slices, maps, interfaces) to follow. A slice of structs is then one loop over its backing array,
// converting the times at fixed offsets, instead of a reflect.Value per element and field. This is all
// of codec's unsafe code.
package utc

import (
	"reflect"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/cachekit/cachekit/codec/internal/limits"
	"github.com/cachekit/cachekit/codec/internal/typegraph"
)

var timeType = reflect.TypeFor[time.Time]()

// Converter converts the times in values decoded by one codec. It is safe for concurrent use.
type Converter struct {
	rules       typegraph.Rules
	mayHoldTime *typegraph.Filter // whether values of a type can hold a time the decoder set
	plans       sync.Map          // reflect.Type → *plan
	// targets maps the pointer types decoded into lately to their entries, so that the lookup on every
	// decode is a load and a compare; entries are made once per type, so replacing one allocates nothing.
	targets [64]atomic.Pointer[target]
	entries sync.Map // pointer type → *target
}

// New returns the Converter for values decoded by msgpack (msgpackRules) or json.
func New(msgpackRules bool) *Converter {
	c := &Converter{rules: typegraph.Rules{Msgpack: msgpackRules}}
	leaf := typegraph.DecodeLeaf(msgpackRules)
	isTarget := func(t reflect.Type) bool { return t == timeType || t.Kind() == reflect.Interface }
	c.mayHoldTime = typegraph.NewFilter(func(t reflect.Type) bool { return typegraph.Reaches(t, c.rules, leaf, isTarget) })
	return c
}

// target is the plan for the element of a pointer type that values are decoded into.
type target struct {
	ptrType reflect.Type
	plan    *plan
}

// plan converts the times in a value of one type, given the value's address.
type plan struct {
	times []uintptr // offsets of time.Time values inside the value's own memory
	refs  []ref     // references inside the value's own memory that lead to times
}

type ref struct {
	off   uintptr
	typ   reflect.Type // the type at off: pointer, slice, array, map or interface
	kind  reflect.Kind
	elem  *plan   // pointer, slice or array element, map value; unused for interfaces
	size  uintptr // element size (slices, arrays)
	count int     // array length
}

// Fix converts the times inside *ptr to UTC. ptr must be a non-nil pointer.
func (c *Converter) Fix(ptr any) {
	rv := reflect.ValueOf(ptr)
	t := rv.Type()
	slot := &c.targets[uint64(reflect.ValueOf(t).Pointer())*0x9E3779B97F4A7C15>>58] // 64 slots
	e := slot.Load()
	if e == nil || e.ptrType != t {
		e = c.target(t)
		slot.Store(e)
	}
	if e.plan != nil {
		e.plan.fix(c, rv.UnsafePointer(), 0)
	}
}

func (c *Converter) target(ptrType reflect.Type) *target {
	if e, ok := c.entries.Load(ptrType); ok {
		return e.(*target)
	}
	e, _ := c.entries.LoadOrStore(ptrType, &target{ptrType: ptrType, plan: c.planFor(ptrType.Elem())})
	return e.(*target)
}

func (c *Converter) planFor(t reflect.Type) *plan {
	if v, ok := c.plans.Load(t); ok {
		return v.(*plan)
	}
	p := c.compile(t, map[reflect.Type]*plan{})
	v, _ := c.plans.LoadOrStore(t, p)
	return v.(*plan)
}

// compile builds the plan for t; memo holds the plans being built, so that recursive types refer to
// themselves instead of recursing forever. The result is nil when values of t need no walk.
func (c *Converter) compile(t reflect.Type, memo map[reflect.Type]*plan) *plan {
	if p, ok := memo[t]; ok {
		return p
	}
	if !c.mayHoldTime.Relevant(t) {
		return nil
	}
	p := &plan{}
	memo[t] = p
	c.add(p, t, 0, memo)
	if len(p.times) == 0 && len(p.refs) == 0 {
		memo[t] = nil // reaches times only through fields a decoder cannot set
		return nil
	}
	return p
}

// add appends to p what a value of type t at offset off needs.
func (c *Converter) add(p *plan, t reflect.Type, off uintptr, memo map[reflect.Type]*plan) {
	if t == timeType {
		p.times = append(p.times, off)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		for _, e := range typegraph.Edges(t, c.rules) {
			sf := t.Field(e.Index)
			// A field reached through an unexported embedded field can be set only when that field is a
			// struct held by value (its exported fields are promoted); a decoder sets nothing else there.
			if !sf.IsExported() && (sf.Type.Kind() != reflect.Struct || sf.Type == timeType) {
				continue
			}
			if c.mayHoldTime.Relevant(sf.Type) {
				c.add(p, sf.Type, off+sf.Offset, memo)
			}
		}
	case reflect.Array:
		elem := c.compile(t.Elem(), memo)
		if elem == nil || t.Len() == 0 {
			return
		}
		p.refs = append(p.refs, ref{off: off, typ: t, kind: reflect.Array, elem: elem, size: t.Elem().Size(), count: t.Len()})
	case reflect.Pointer, reflect.Slice, reflect.Map:
		if elem := c.compile(t.Elem(), memo); elem != nil {
			p.refs = append(p.refs, ref{off: off, typ: t, kind: t.Kind(), elem: elem, size: t.Elem().Size()})
		}
	case reflect.Interface:
		p.refs = append(p.refs, ref{off: off, typ: t, kind: reflect.Interface})
	}
}

// fix converts the times of the value at base. depth counts the references followed, which only a
// cyclic target that the decoder left in place can make unbounded.
func (p *plan) fix(c *Converter, base unsafe.Pointer, depth int) {
	if depth > limits.MaxDepth {
		return
	}
	for _, off := range p.times {
		t := (*time.Time)(unsafe.Add(base, off))
		if t.Location() != time.UTC {
			*t = t.UTC()
		}
	}
	for i := range p.refs {
		p.refs[i].fix(c, unsafe.Add(base, p.refs[i].off), depth+1)
	}
}

func (r *ref) fix(c *Converter, at unsafe.Pointer, depth int) {
	switch r.kind {
	case reflect.Pointer:
		if e := *(*unsafe.Pointer)(at); e != nil {
			r.elem.fix(c, e, depth)
		}
	case reflect.Array:
		for i := range r.count {
			r.elem.fix(c, unsafe.Add(at, uintptr(i)*r.size), depth)
		}
	case reflect.Slice:
		v := reflect.NewAt(r.typ, at).Elem()
		base := v.UnsafePointer()
		for i := range v.Len() {
			r.elem.fix(c, unsafe.Add(base, uintptr(i)*r.size), depth)
		}
	case reflect.Map:
		v := reflect.NewAt(r.typ, at).Elem()
		if v.Len() == 0 {
			return
		}
		cp := reflect.New(r.typ.Elem()).Elem() // map values are not addressable: fix a copy, store it back
		for it := v.MapRange(); it.Next(); {
			cp.Set(it.Value())
			r.elem.fix(c, cp.Addr().UnsafePointer(), depth)
			v.SetMapIndex(it.Key(), cp)
		}
	case reflect.Interface:
		v := reflect.NewAt(r.typ, at).Elem()
		if v.IsNil() {
			return
		}
		e := v.Elem()
		ep := c.planFor(e.Type())
		if ep == nil {
			return
		}
		cp := reflect.New(e.Type()).Elem() // interface contents are not addressable: fix a copy
		cp.Set(e)
		ep.fix(c, cp.Addr().UnsafePointer(), depth)
		v.Set(cp)
	}
}
