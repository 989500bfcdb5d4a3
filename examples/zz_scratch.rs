fn main() {
    use kbdiag::engine::condition::Node;
    let rules = kbdiag::rules::kb::read_dir(std::path::Path::new("kb")).expect("kb/ reads");
    let evaluator = kbdiag::evaluate::diagnose::Evaluator::new(&rules).expect("kb/ loads");
    for rule in evaluator.rules() {
        for node in rule.conditions().flat_map(Node::exprs) {
            if let Node::Expr {
                expr, native: None, ..
            } = node
            {
                println!("{}: {}", rule.rule.id, expr.replace('\n', " "));
            }
        }
    }
}
