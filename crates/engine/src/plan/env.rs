//! Lexical scope of `let` bindings and function parameters: a persistent linked list, so a
//! function body or a lazily planned `let` sees exactly the bindings of where it was written.

use super::rel::Rel;
use crate::texpr::TExpr;
use kql::ast::{FunctionDef, TabularExpr};
use std::rc::Rc;

#[derive(Clone)]
pub enum Binding {
    Scalar(TExpr),
    Tabular(Rel),
    /// A tabular `let` planned when used, in the scope it was defined in.
    LazyTabular(Rc<TabularExpr>, Env),
    /// A `let` whose value could be scalar or tabular (`let x = y;`): decided on use.
    LazyExpr(Rc<kql::ast::Expr>, Env),
    Function(Rc<FunctionDef>, Env),
}

struct Node {
    name: String,
    binding: Binding,
    parent: Env,
}

#[derive(Clone, Default)]
pub struct Env(Option<Rc<Node>>);

impl Env {
    pub fn bind(&self, name: impl Into<String>, binding: Binding) -> Env {
        Env(Some(Rc::new(Node {
            name: name.into(),
            binding,
            parent: self.clone(),
        })))
    }

    pub fn lookup(&self, name: &str) -> Option<&Binding> {
        let mut cur = self.0.as_ref();
        while let Some(node) = cur {
            if node.name == name {
                return Some(&node.binding);
            }
            cur = node.parent.0.as_ref();
        }
        None
    }
}
