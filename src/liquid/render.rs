//! Rendering: the context a template renders in (its variables, counters and limits) and
//! the evaluation of expressions, as liquidjs's `Context`, `Expression` and `Render` do it.

use super::ast::{
    ExprToken, FilterArg, FilterKind, FilteredValue, Literal, Node, Operand, Operator,
};
use super::error::{Code, Error};
use super::text;
use super::value::{Drop, Value};

type Result<T> = std::result::Result<T, Error>;

/// Segment's `memoryLimit`: liquidjs charges string and array sizes against it.
pub(crate) const MEMORY_LIMIT: f64 = 1e8;

/// Work allowed in one render, in units of nodes rendered plus characters and items
/// produced, read by filters or written. It replaces Segment's 500 ms `renderLimit`, which
/// depends on the machine, with a bound that is the same on every target; a template reaches
/// it only by building strings of millions of characters.
pub(crate) const WORK_LIMIT: u64 = 4_000_000;

/// The state of one render.
pub(crate) struct Context<'t, 'd> {
    /// The template's source (for `{% cycle %}` keys).
    pub(crate) source: &'t [u16],
    /// The data the template reads (liquidjs's `environments`).
    env: Value<'d>,
    /// Values `increment`/`decrement` wrote into the data (liquidjs writes them into the
    /// environment object itself, where later reads in the template see them).
    env_writes: Vec<(Vec<u16>, Value<'d>)>,
    /// `assign` and `capture` variables.
    locals: Vec<(Vec<u16>, Value<'d>)>,
    /// How many `{% block %}` tags are rendering (each gives a `block` variable).
    pub(crate) blocks: usize,
    /// `{% cycle %}` positions by key.
    pub(crate) cycles: Vec<(Vec<u16>, usize)>,
    /// `{% break %}` or `{% continue %}` ran: the rest of the template is skipped.
    pub(crate) interrupted: bool,
    memory: f64,
    work: u64,
    /// The time `"now"` stands for, in milliseconds since the epoch: given by the caller, as
    /// the core reads no clock.
    pub(crate) now_ms: f64,
}

impl<'t, 'd> Context<'t, 'd> {
    pub(crate) fn new(source: &'t [u16], env: Value<'d>, now_ms: f64) -> Context<'t, 'd> {
        Context {
            now_ms,
            source,
            env,
            env_writes: Vec::new(),
            locals: Vec::new(),
            blocks: 0,
            cycles: Vec::new(),
            interrupted: false,
            memory: 0.0,
            work: 0,
        }
    }

    /// liquidjs's `memoryLimit.use(n)`; the same amount counts as work.
    pub(crate) fn charge(&mut self, n: f64) -> Result<()> {
        if n > 0.0 {
            if self.memory + n > MEMORY_LIMIT {
                return Err(Code::MemoryLimit.into());
            }
            self.memory += n;
            self.work(n as u64)?;
        }
        Ok(())
    }

    /// Counts `n` units of work (characters or items read or produced).
    pub(crate) fn work(&mut self, n: u64) -> Result<()> {
        self.work = self.work.saturating_add(n);
        if self.work > WORK_LIMIT {
            return Err(Code::RenderLimit.into());
        }
        Ok(())
    }

    /// Sets a variable (`assign`, `capture`).
    pub(crate) fn set_local(&mut self, name: Vec<u16>, value: Value<'d>) {
        match self.locals.iter_mut().find(|(k, _)| *k == name) {
            Some(slot) => slot.1 = value,
            None => self.locals.push((name, value)),
        }
    }

    /// A top-level property of the data, counters written by `increment` included.
    pub(crate) fn env_own(&self, name: &[u16]) -> Option<Value<'d>> {
        match self.env_writes.iter().find(|(k, _)| k == name) {
            Some((_, v)) => Some(v.clone()),
            None => self.env.own(name),
        }
    }

    /// Writes a top-level property of the data (`increment`, `decrement`).
    pub(crate) fn set_env(&mut self, name: &[u16], value: Value<'d>) {
        match self.env_writes.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value,
            None => self.env_writes.push((name.to_vec(), value)),
        }
    }

    /// The value of a variable: `block` inside a block, then `assign`/`capture` variables,
    /// then the data; a name found nowhere reads from an empty object (so `size` is 0).
    fn root(&self, key: &Value<'d>) -> Result<Value<'d>> {
        let name = key.property_key()?;
        if self.blocks > 0 && text::eq_ascii(&name, "block") {
            return Ok(Value::Drop(Drop::Block));
        }
        if let Some((_, v)) = self.locals.iter().find(|(k, _)| *k == name) {
            return Ok(v.clone());
        }
        if let Some(v) = self.env_own(&name) {
            return Ok(v);
        }
        Ok(if text::eq_ascii(&name, "size") {
            Value::Number(0.0)
        } else {
            Value::Undefined
        })
    }

    /// Runs `f` in a context whose data is `env` and which has no variables of its own
    /// (liquidjs's `spawn`, used by `where`); limits are shared.
    pub(crate) fn spawned<R>(&mut self, env: Value<'d>, f: impl FnOnce(&mut Self) -> R) -> R {
        let env = std::mem::replace(&mut self.env, env);
        let writes = std::mem::take(&mut self.env_writes);
        let locals = std::mem::take(&mut self.locals);
        let blocks = std::mem::replace(&mut self.blocks, 0);
        let r = f(self);
        self.env = env;
        self.env_writes = writes;
        self.locals = locals;
        self.blocks = blocks;
        r
    }

    // ---- Evaluation ----------------------------------------------------------------------

    /// A value token (liquidjs's `evalToken`): drops stay drops.
    pub(crate) fn eval(&mut self, operand: &Operand) -> Result<Value<'d>> {
        Ok(match operand {
            Operand::Literal(Literal::True) => Value::Bool(true),
            Operand::Literal(Literal::False) => Value::Bool(false),
            Operand::Literal(Literal::Nil) => Value::Drop(Drop::Nil),
            Operand::Literal(Literal::Empty) => Value::Drop(Drop::Empty),
            Operand::Literal(Literal::Blank) => Value::Drop(Drop::Blank),
            Operand::Number(n) => Value::Number(*n),
            Operand::Quoted(s) | Operand::Word(s) => Value::Str(s.clone()),
            Operand::Range(low, high) => {
                let low = self.eval(low)?.to_value().to_number()?;
                let high = self.eval(high)?.to_value().to_number()?;
                self.charge(high - low + 1.0)?;
                let mut items = Vec::new();
                let mut i = low;
                while i < high + 1.0 {
                    self.work(1)?;
                    items.push(Value::Number(i));
                    i += 1.0;
                }
                Value::array(items)
            }
            Operand::Access { base, props } => {
                let mut keys = Vec::with_capacity(props.len());
                for p in props {
                    keys.push(self.eval(p)?.to_value());
                }
                let (mut value, rest) = match base {
                    Some(base) => (self.eval(base)?, &keys[..]),
                    None => match keys.split_first() {
                        Some((first, rest)) => (self.root(first)?, rest),
                        None => (Value::Undefined, &keys[..]),
                    },
                };
                for key in rest {
                    value = value.read_property(key)?;
                }
                value
            }
        })
    }

    /// An expression in postfix order. As in liquidjs every operand is evaluated, and the
    /// result is the bottom of the stack (`{{ a b }}` is `a`).
    fn eval_expr(&mut self, expr: &[ExprToken]) -> Result<Value<'d>> {
        let mut stack: Vec<Value<'d>> = Vec::new();
        for token in expr {
            let v = match token {
                ExprToken::Operand(op) => self.eval(op)?,
                ExprToken::Operator(Operator::Not) => {
                    let v = stack.pop().unwrap_or(Value::Undefined);
                    Value::Bool(!v.is_truthy())
                }
                ExprToken::Operator(op) => {
                    let r = stack.pop().unwrap_or(Value::Undefined);
                    let l = stack.pop().unwrap_or(Value::Undefined);
                    Value::Bool(operate(*op, &l, &r)?)
                }
            };
            stack.push(v);
        }
        Ok(stack.into_iter().next().unwrap_or(Value::Undefined))
    }

    /// An expression followed by its filters.
    pub(crate) fn eval_filtered(&mut self, fv: &FilteredValue) -> Result<Value<'d>> {
        let mut value = self.eval_expr(&fv.expr)?;
        for filter in &fv.filters {
            let mut args = Vec::with_capacity(filter.args.len());
            for arg in &filter.args {
                args.push(match arg {
                    FilterArg::Positional(op) => self.eval(op)?,
                    FilterArg::Named(key, op) => {
                        let v = match op {
                            Some(op) => self.eval(op)?,
                            None => Value::Undefined,
                        };
                        Value::array(vec![Value::Str(key.clone()), v])
                    }
                });
            }
            value = match filter.kind {
                FilterKind::Known(f) => f(self, value, &args)?,
                FilterKind::Disabled => {
                    return Err(Code::FilterDisabled(filter.name.clone()).into())
                }
                FilterKind::Unknown => value,
            };
        }
        Ok(value)
    }

    /// Renders nodes into `out`; an error is reported at the node that failed, a
    /// `{% break %}` stops everything after it.
    pub(crate) fn render(&mut self, nodes: &[Node], out: &mut Vec<u16>) -> Result<()> {
        for node in nodes {
            self.work(1)?;
            match node {
                Node::Text(begin, end) => {
                    let s = self.source_text((*begin, *end));
                    self.write(out, s)?;
                }
                Node::Output(fv, at) => {
                    let v = self.eval_filtered(fv).map_err(|e| e.or_at(*at))?;
                    let printed = v.stringify().map_err(|e| Error::from(e).or_at(*at))?;
                    self.write(out, &printed)?;
                }
                Node::Tag(tag, at) => tag.render(self, out).map_err(|e| e.or_at(*at))?,
            }
            if self.interrupted {
                break;
            }
        }
        Ok(())
    }

    /// Appends rendered text.
    pub(crate) fn write(&mut self, out: &mut Vec<u16>, s: &[u16]) -> Result<()> {
        self.work(s.len() as u64)?;
        out.extend_from_slice(s);
        Ok(())
    }

    /// The source text between two offsets.
    pub(crate) fn source_text(&self, (begin, end): (u32, u32)) -> &'t [u16] {
        self.source
            .get(begin as usize..(end as usize).max(begin as usize))
            .unwrap_or(&[])
    }
}

/// liquidjs's binary operators.
fn operate(op: Operator, l: &Value, r: &Value) -> Result<bool> {
    let comparable = |v: &Value| matches!(v, Value::Drop(Drop::Nil | Drop::Empty | Drop::Blank));
    let less = |a: &Value, b: &Value| a.to_value().js_less(&b.to_value());
    Ok(match op {
        Operator::Eq => equals(l, r),
        Operator::Ne => !equals(l, r),
        Operator::And => l.is_truthy() && r.is_truthy(),
        Operator::Or => l.is_truthy() || r.is_truthy(),
        Operator::Contains => contains(l, r)?,
        // Drops answer every ordering comparison with false.
        _ if comparable(l) || comparable(r) => false,
        Operator::Gt => less(r, l)? == Some(true),
        Operator::Lt => less(l, r)? == Some(true),
        Operator::Ge => less(l, r)? == Some(false),
        Operator::Le => less(r, l)? == Some(false),
        Operator::Not => !l.is_truthy(),
    })
}

/// liquidjs's `equals`: drops compare their own way, arrays item by item, anything else
/// with `===`.
pub(crate) fn equals(l: &Value, r: &Value) -> bool {
    if let Value::Drop(d @ (Drop::Nil | Drop::Empty | Drop::Blank)) = l {
        return drop_equals(*d, r);
    }
    if let Value::Drop(d @ (Drop::Nil | Drop::Empty | Drop::Blank)) = r {
        return drop_equals(*d, l);
    }
    let (l, r) = (l.to_value(), r.to_value());
    if let Some(litems) = l.items() {
        return match r.items() {
            Some(ritems) => {
                litems.len() == ritems.len()
                    && litems.iter().zip(&ritems).all(|(a, b)| equals(a, b))
            }
            None => false,
        };
    }
    l.strict_equals(&r)
}

fn drop_equals(d: Drop, v: &Value) -> bool {
    match d {
        Drop::Nil => v.to_value().is_nil(),
        Drop::Blank => {
            if matches!(v, Value::Bool(false)) || v.to_value().is_nil() {
                return true;
            }
            if let Value::Str(s) = v {
                return s.iter().all(|&u| text::is_space(u));
            }
            drop_equals(Drop::Empty, v)
        }
        _ => {
            if matches!(v, Value::Drop(Drop::Empty | Drop::Blank)) {
                return false;
            }
            match v.to_value() {
                Value::Str(s) => s.is_empty(),
                Value::Array(items) => items.is_empty(),
                Value::Data(data) => data.is_empty(),
                _ => false,
            }
        }
    }
}

/// `contains`: an array holds an equal item, a string holds `String(right)`.
fn contains(l: &Value, r: &Value) -> Result<bool> {
    let l = l.to_value();
    if let Some(items) = l.items() {
        return Ok(items.iter().any(|item| equals(item, r)));
    }
    Ok(match l {
        Value::Str(s) => text::index_of(&s, &r.to_value().js_string()?, 0).is_some(),
        _ => false,
    })
}
