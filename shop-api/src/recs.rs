//! "For you": products chosen for one shopper from what she bought (and, with consent, what she
//! looked at), scored by item-to-item similarity learned from every shopper's purchases.
//!
//! Two products are similar when the same shoppers bought both: their co-purchase count,
//! divided by the square roots of how many shoppers bought each (cosine similarity on the
//! shopper × product matrix) plus a small shrinkage, so that a best-seller bought alongside
//! everything does not drown what is specific to her taste, and two products bought together
//! once are not taken for a pattern. A shopper's score for a product is the sum of its
//! similarity to each product in her history (viewed ones count half). What she bought is left
//! out unless the product is bought again and again (`repeat_purchase`), and so is anything
//! out of stock.
//!
//! Learning is incremental: each purchase updates the counts of its product with the ones the
//! shopper bought before, in O(her distinct products); nothing is recomputed nightly. Memory
//! grows with the number of product pairs shoppers actually bought together, not with the
//! square of the catalogue; a shopper contributes pairs among her latest
//! [`MAX_HISTORY`] products only.

use std::collections::{HashMap, HashSet};

/// Products per shopper that take part in learning and scoring (her most recent ones).
pub const MAX_HISTORY: usize = 50;
/// Damps similarities resting on very few shoppers.
const SHRINKAGE: f64 = 2.0;
/// How much a viewed product counts next to a bought one.
const VIEW_WEIGHT: f64 = 0.5;

/// The learned counts.
#[derive(Clone, Debug, Default)]
pub struct Model {
    index: HashMap<String, u32>,
    ids: Vec<String>,
    /// Each shopper's distinct products, oldest first.
    histories: HashMap<String, Vec<u32>>,
    /// How many shoppers bought each product.
    buyers: Vec<u32>,
    /// For each product, how many shoppers bought it together with each other product.
    together: Vec<HashMap<u32, u32>>,
    purchases: u64,
    /// Products by buyers, best first, as of the last [`Model::refresh`]; `None` once stale.
    popular: Option<Vec<u32>>,
}

/// Why a rail is what it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Basis {
    /// From her purchases (and views).
    History,
    /// From what she looked at, with no purchases.
    Viewed,
    /// Popular in the categories she bought or looked at.
    PopularInCategories,
    Popular,
}

impl Basis {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::History => "purchases",
            Self::Viewed => "recently-viewed",
            Self::PopularInCategories => "popular-in-categories",
            Self::Popular => "popular",
        }
    }
}

impl Model {
    fn id_of(&mut self, product: &str) -> u32 {
        if let Some(&i) = self.index.get(product) {
            return i;
        }
        let i = self.ids.len() as u32;
        self.index.insert(product.to_owned(), i);
        self.ids.push(product.to_owned());
        self.buyers.push(0);
        self.together.push(HashMap::new());
        i
    }

    /// Records that `shopper` bought `product`. A product she had bought before changes
    /// nothing (the counts are about shoppers, not units).
    pub fn add_purchase(&mut self, shopper: &str, product: &str) {
        let item = self.id_of(product);
        let history = self.histories.entry(shopper.to_owned()).or_default();
        if history.contains(&item) {
            return;
        }
        self.purchases += 1;
        self.popular = None;
        self.buyers[item as usize] += 1;
        let start = history.len().saturating_sub(MAX_HISTORY);
        for &other in &history[start..] {
            *self.together[item as usize].entry(other).or_default() += 1;
            *self.together[other as usize].entry(item).or_default() += 1;
        }
        history.push(item);
    }

    /// Files `shopper`'s history under `pseudonym` (after she is erased): the counts stay,
    /// her id goes.
    pub fn rename_shopper(&mut self, shopper: &str, pseudonym: &str) {
        if let Some(history) = self.histories.remove(shopper) {
            self.histories.insert(pseudonym.to_owned(), history);
        }
    }

    pub fn shoppers(&self) -> usize {
        self.histories.len()
    }

    pub fn products(&self) -> usize {
        self.ids.len()
    }

    /// Product pairs with a count, each counted once.
    pub fn pairs(&self) -> usize {
        self.together.iter().map(HashMap::len).sum::<usize>() / 2
    }

    /// Distinct (shopper, product) purchases learned.
    pub fn purchases(&self) -> u64 {
        self.purchases
    }

    /// A rough figure of the memory the counts take, in bytes.
    pub fn approximate_bytes(&self) -> usize {
        let pairs = self.together.iter().map(|m| m.capacity()).sum::<usize>() * 16;
        let histories: usize = self
            .histories
            .iter()
            .map(|(k, v)| k.len() + 48 + v.capacity() * 4)
            .sum();
        let ids: usize = self.ids.iter().map(|s| s.len() * 2 + 64).sum();
        pairs + histories + ids
    }

    /// Her products, oldest first.
    pub fn history(&self, shopper: &str) -> Vec<&str> {
        self.histories
            .get(shopper)
            .map(|h| h.iter().map(|&i| self.ids[i as usize].as_str()).collect())
            .unwrap_or_default()
    }

    pub fn similarity(&self, a: &str, b: &str) -> f64 {
        match (self.index.get(a), self.index.get(b)) {
            (Some(&a), Some(&b)) => self.sim(a, b),
            _ => 0.0,
        }
    }

    fn sim(&self, a: u32, b: u32) -> f64 {
        let together = self.together[a as usize].get(&b).copied().unwrap_or(0);
        self.sim_of(a, b, together)
    }

    fn sim_of(&self, a: u32, b: u32, together: u32) -> f64 {
        if together == 0 {
            return 0.0;
        }
        let norm = (f64::from(self.buyers[a as usize]) * f64::from(self.buyers[b as usize])).sqrt();
        f64::from(together) / (norm + SHRINKAGE)
    }

    /// Brings what the model derives from its counts (the popular list) up to date, so that
    /// requests only read.
    pub fn refresh(&mut self) {
        if self.popular.is_none() {
            self.popular = Some(self.rank_by_buyers());
        }
    }

    fn rank_by_buyers(&self) -> Vec<u32> {
        let mut items: Vec<u32> = (0..self.ids.len() as u32).collect();
        items.sort_by(|&a, &b| {
            self.buyers[b as usize]
                .cmp(&self.buyers[a as usize])
                .then_with(|| self.ids[a as usize].cmp(&self.ids[b as usize]))
        });
        items
    }

    /// Products scored against `seeds` (product, weight), best first, at most `limit`, each
    /// passing `allowed` and not in `exclude`.
    pub fn score<'a>(
        &'a self,
        seeds: &[(&str, f64)],
        exclude: &HashSet<&str>,
        allowed: impl Fn(&str) -> bool,
        limit: usize,
    ) -> Vec<(&'a str, f64)> {
        // A dense score per product and the list of those touched: cheaper than a map when a
        // best-seller's neighbours are thousands.
        let mut scores = vec![0.0f64; self.ids.len()];
        let mut touched: Vec<u32> = Vec::new();
        for (seed, weight) in seeds {
            let Some(&s) = self.index.get(*seed) else {
                continue;
            };
            for (&other, &together) in &self.together[s as usize] {
                let score = &mut scores[other as usize];
                if *score == 0.0 {
                    touched.push(other);
                }
                *score += weight * self.sim_of(s, other, together);
            }
        }
        // Best first (ties by id, so a rail is the same on every request); the filters, which
        // look products up by name, run only until the rail is full.
        touched.sort_unstable_by(|&a, &b| {
            scores[b as usize]
                .total_cmp(&scores[a as usize])
                .then_with(|| self.ids[a as usize].cmp(&self.ids[b as usize]))
        });
        touched
            .into_iter()
            .map(|i| (self.ids[i as usize].as_str(), scores[i as usize]))
            .filter(|(id, score)| *score > 0.0 && !exclude.contains(id) && allowed(id))
            .take(limit)
            .collect()
    }

    /// Products by how many shoppers bought them, best first.
    pub fn popular(&self) -> Vec<&str> {
        let ranked;
        let items = match &self.popular {
            Some(items) => items,
            None => {
                ranked = self.rank_by_buyers();
                &ranked
            }
        };
        items
            .iter()
            .map(|&i| self.ids[i as usize].as_str())
            .collect()
    }
}

/// What the catalogue says about a product, as far as recommending goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    pub category: String,
    pub in_stock: bool,
    pub repeat_purchase: bool,
}

/// A "for you" rail: product ids best first, and what they were chosen from.
pub fn for_you(
    model: &Model,
    catalogue: &HashMap<String, Facts>,
    shopper: Option<&str>,
    viewed: &[String],
    limit: usize,
) -> (Vec<String>, Vec<Basis>) {
    let bought: Vec<&str> = shopper.map(|s| model.history(s)).unwrap_or_default();
    let recent = &bought[bought.len().saturating_sub(MAX_HISTORY)..];
    let mut seeds: Vec<(&str, f64)> = recent.iter().map(|p| (*p, 1.0)).collect();
    seeds.extend(viewed.iter().take(20).map(|p| (p.as_str(), VIEW_WEIGHT)));
    // What she bought is not offered again, unless it is bought again and again.
    let exclude: HashSet<&str> = bought
        .iter()
        .copied()
        .filter(|p| !catalogue.get(*p).is_some_and(|f| f.repeat_purchase))
        .collect();
    let available = |id: &str| catalogue.get(id).is_some_and(|f| f.in_stock);
    let mut picked: Vec<String> = model
        .score(&seeds, &exclude, available, limit)
        .into_iter()
        .map(|(id, _)| id.to_owned())
        .collect();
    let mut basis = Vec::new();
    if !picked.is_empty() {
        basis.push(if bought.is_empty() {
            Basis::Viewed
        } else {
            Basis::History
        });
    }
    if picked.len() < limit {
        let categories: HashSet<&str> = seeds
            .iter()
            .filter_map(|(p, _)| catalogue.get(*p).map(|f| f.category.as_str()))
            .collect();
        let popular = model.popular();
        let before = picked.len();
        fill(&mut picked, &popular, &exclude, &available, limit, |id| {
            catalogue
                .get(id)
                .is_some_and(|f| categories.contains(f.category.as_str()))
        });
        if picked.len() > before {
            basis.push(Basis::PopularInCategories);
        }
        let before = picked.len();
        fill(&mut picked, &popular, &exclude, &available, limit, |_| true);
        if picked.len() > before {
            basis.push(Basis::Popular);
        }
    }
    (picked, basis)
}

/// What goes with a whole cart: products similar to all of its items together.
pub fn for_cart(
    model: &Model,
    catalogue: &HashMap<String, Facts>,
    cart: &[String],
    limit: usize,
) -> (Vec<String>, Vec<Basis>) {
    let seeds: Vec<(&str, f64)> = cart.iter().take(50).map(|p| (p.as_str(), 1.0)).collect();
    let exclude: HashSet<&str> = cart.iter().map(String::as_str).collect();
    let available = |id: &str| catalogue.get(id).is_some_and(|f| f.in_stock);
    let mut picked: Vec<String> = model
        .score(&seeds, &exclude, available, limit)
        .into_iter()
        .map(|(id, _)| id.to_owned())
        .collect();
    let mut basis = Vec::new();
    if !picked.is_empty() {
        basis.push(Basis::History);
    }
    let before = picked.len();
    fill(
        &mut picked,
        &model.popular(),
        &exclude,
        &available,
        limit,
        |_| true,
    );
    if picked.len() > before {
        basis.push(Basis::Popular);
    }
    (picked, basis)
}

fn fill(
    picked: &mut Vec<String>,
    candidates: &[&str],
    exclude: &HashSet<&str>,
    available: &impl Fn(&str) -> bool,
    limit: usize,
    wanted: impl Fn(&str) -> bool,
) {
    for id in candidates {
        if picked.len() >= limit {
            return;
        }
        if !exclude.contains(id) && available(id) && wanted(id) && !picked.iter().any(|p| p == id) {
            picked.push((*id).to_owned());
        }
    }
}

/// The model of one API process, learning what every process took in: it reads the
/// `purchases` table from where it left off, so an order reported to any instance changes
/// every instance's rails within the next request after it committed.
#[derive(Debug, Default)]
pub struct Learner {
    model: std::sync::RwLock<Model>,
    facts: std::sync::RwLock<HashMap<String, Facts>>,
    /// The last purchase learned, and when the catalogue's facts were last read.
    progress: std::sync::Mutex<(i64, Option<std::time::Instant>)>,
}

/// How stale the catalogue's facts (stock, categories) may get.
const FACTS_FOR: std::time::Duration = std::time::Duration::from_secs(5);

impl Learner {
    /// Learns the purchases since the last call, and re-reads the catalogue's facts when they
    /// are older than a few seconds. One caller at a time catches up; the others go on with
    /// what is learned.
    pub fn catch_up(&self, conn: &mut crate::db::Conn) -> Result<(), crate::db::DbError> {
        let Ok(mut progress) = self.progress.try_lock() else {
            return Ok(());
        };
        loop {
            let rows = conn.query(
                "SELECT id, shopper, product_id FROM purchases WHERE id > ?1 ORDER BY id LIMIT 20000",
                &crate::params![progress.0],
            )?;
            if rows.is_empty() {
                break;
            }
            let mut model = self.model.write().unwrap_or_else(|p| p.into_inner());
            for row in &rows {
                let (id, shopper, product): (i64, String, String) =
                    (row.get(0)?, row.get(1)?, row.get(2)?);
                model.add_purchase(&shopper, &product);
                progress.0 = id;
            }
            model.refresh();
        }
        if progress.1.is_none_or(|at| at.elapsed() > FACTS_FOR) {
            let facts = conn
                .query(
                    "SELECT id, category, stock, repeat_purchase FROM products",
                    &[],
                )?
                .iter()
                .map(|row| {
                    Ok((
                        row.get::<String>(0)?,
                        Facts {
                            category: row.get(1)?,
                            in_stock: row.get::<i64>(2)? > 0,
                            repeat_purchase: row.get(3)?,
                        },
                    ))
                })
                .collect::<Result<HashMap<_, _>, crate::db::DbError>>()?;
            *self.facts.write().unwrap_or_else(|p| p.into_inner()) = facts;
            progress.1 = Some(std::time::Instant::now());
        }
        Ok(())
    }

    /// [`Model::rename_shopper`] on this process's model.
    pub fn rename_shopper(&self, shopper: &str, pseudonym: &str) {
        self.model
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .rename_shopper(shopper, pseudonym);
    }

    /// Runs `read` with the model and the catalogue's facts.
    pub fn with<T>(&self, read: impl FnOnce(&Model, &HashMap<String, Facts>) -> T) -> T {
        let model = self.model.read().unwrap_or_else(|p| p.into_inner());
        let facts = self.facts.read().unwrap_or_else(|p| p.into_inner());
        read(&model, &facts)
    }
}

/// A seeded shop for evaluating and benchmarking: shoppers with hidden tastes over
/// categories, products whose popularity follows a long tail within each category, orders of
/// one to four products mostly from the shopper's favourite categories, and repeat purchases
/// of consumables.
pub mod generator {
    use super::Facts;
    use std::collections::HashMap;

    /// SplitMix64: small, fast, and the same numbers for the same seed everywhere.
    #[derive(Clone, Debug)]
    pub struct Rng(u64);

    impl Rng {
        pub fn new(seed: u64) -> Self {
            Self(seed)
        }

        pub fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }

        /// Uniform in [0, 1).
        pub fn unit(&mut self) -> f64 {
            (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
        }

        pub fn below(&mut self, n: usize) -> usize {
            (self.unit() * n as f64) as usize % n.max(1)
        }
    }

    /// The shape of a generated shop.
    #[derive(Clone, Copy, Debug)]
    pub struct Shape {
        pub seed: u64,
        pub products: usize,
        pub categories: usize,
        pub shoppers: usize,
        /// Orders in all, spread over the shoppers (each at least one).
        pub orders: usize,
    }

    /// One order: its shopper and products.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct Order {
        pub shopper: String,
        pub products: Vec<String>,
    }

    /// A generated shop: its catalogue and its orders in time order.
    #[derive(Clone, Debug)]
    pub struct Shop {
        pub catalogue: HashMap<String, Facts>,
        /// Product ids in catalogue order, with their category.
        pub products: Vec<(String, usize)>,
        pub orders: Vec<Order>,
    }

    /// Draws an index by Zipf-like weights 1/(rank+1).
    fn zipf(rng: &mut Rng, n: usize, harmonic: f64) -> usize {
        let mut target = rng.unit() * harmonic;
        for rank in 0..n {
            target -= 1.0 / (rank + 1) as f64;
            if target <= 0.0 {
                return rank;
            }
        }
        n - 1
    }

    /// Writes a generated shop into the database: its products (in the demo's currency),
    /// its shoppers as customers, its orders with their lines, and the purchases the model
    /// learns from. For the bench; the demo's own data stays.
    pub fn store(conn: &mut crate::db::Conn, shop: &Shop) -> Result<(), crate::db::DbError> {
        let mut tx = conn.transaction()?;
        for (p, (id, category)) in shop.products.iter().enumerate() {
            let facts = &shop.catalogue[id];
            tx.execute(
                "INSERT INTO products (id, title, category, price, stock, repeat_purchase)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO NOTHING",
                &crate::params![
                    id,
                    format!("Vare {p}"),
                    format!("k-{category:02}"),
                    10_000 + (p as i64 % 50) * 1000,
                    if facts.in_stock { 10 } else { 0 },
                    facts.repeat_purchase
                ],
            )?;
        }
        let now = crate::calendar::text(crate::calendar::now());
        for (n, order) in shop.orders.iter().enumerate() {
            let key = format!("gen-{n:07}");
            tx.execute(
                "INSERT INTO customers (id, first_name, created_at) VALUES (?1, 'Test', ?2)
                 ON CONFLICT (id) DO NOTHING",
                &crate::params![&order.shopper, &now],
            )?;
            tx.execute(
                "INSERT INTO orders (id, customer_id, created_at) VALUES (?1, ?2, ?3)",
                &crate::params![&key, &order.shopper, &now],
            )?;
            for product in &order.products {
                tx.execute(
                    "INSERT INTO order_lines (order_id, product_id, quantity) VALUES (?1, ?2, 1)",
                    &crate::params![&key, product],
                )?;
                tx.execute(
                    "INSERT INTO purchases (shopper, product_id, order_key, created_at)
                     VALUES (?1, ?2, ?3, ?4)",
                    &crate::params![&order.shopper, product, &key, &now],
                )?;
            }
        }
        tx.commit()
    }

    pub fn generate(shape: Shape) -> Shop {
        let mut rng = Rng::new(shape.seed);
        let per_category: Vec<Vec<usize>> = {
            let mut lists = vec![Vec::new(); shape.categories];
            for p in 0..shape.products {
                lists[p % shape.categories].push(p);
            }
            lists
        };
        let products: Vec<(String, usize)> = (0..shape.products)
            .map(|p| (format!("g-{p:05}"), p % shape.categories))
            .collect();
        let mut catalogue = HashMap::new();
        for (p, (id, category)) in products.iter().enumerate() {
            catalogue.insert(
                id.clone(),
                Facts {
                    category: format!("k-{category:02}"),
                    // One in twenty is sold out; one in ten is a consumable bought again.
                    in_stock: p % 20 != 7,
                    repeat_purchase: p % 10 == 3,
                },
            );
        }
        let harmonic = |n: usize| (1..=n).map(|k| 1.0 / k as f64).sum::<f64>();
        let category_harmonic: Vec<f64> = per_category.iter().map(|l| harmonic(l.len())).collect();
        let all_harmonic = harmonic(shape.products);
        // Hidden tastes: one to three favourite categories per shopper.
        let tastes: Vec<Vec<usize>> = (0..shape.shoppers)
            .map(|_| {
                let count = 1 + rng.below(3);
                (0..count).map(|_| rng.below(shape.categories)).collect()
            })
            .collect();
        let mut orders = Vec::with_capacity(shape.orders);
        for n in 0..shape.orders {
            let s = if n < shape.shoppers {
                n
            } else {
                rng.below(shape.shoppers)
            };
            let taste = &tastes[s];
            let size = 1 + rng.below(4);
            let mut picked: Vec<String> = Vec::new();
            for _ in 0..size {
                let product = if rng.unit() < 0.85 {
                    let category = taste[rng.below(taste.len())];
                    let list = &per_category[category];
                    list[zipf(&mut rng, list.len(), category_harmonic[category])]
                } else {
                    zipf(&mut rng, shape.products, all_harmonic)
                };
                let id = products[product].0.clone();
                if !picked.contains(&id) {
                    picked.push(id);
                }
            }
            orders.push(Order {
                shopper: format!("s-{s:06}"),
                products: picked,
            });
        }
        // Spread each shopper's orders over the sequence: her orders keep their relative
        // order, which is what "her last order" means.
        Shop {
            catalogue,
            products,
            orders,
        }
    }
}

/// Offline evaluation: each shopper's last order held out, the rest learned; recall@k,
/// NDCG@k and catalogue coverage for "for you", "popular" and random, side by side.
pub mod eval {
    use super::generator::{Rng, Shop};
    use super::{Model, for_you};
    use std::collections::{HashMap, HashSet};

    #[derive(Clone, Debug, PartialEq)]
    pub struct Scores {
        pub recall: f64,
        pub ndcg: f64,
        pub coverage: f64,
        pub shoppers: usize,
    }

    #[derive(Clone, Debug, PartialEq)]
    pub struct Report {
        pub for_you: Scores,
        pub popular: Scores,
        pub random: Scores,
        pub k: usize,
    }

    pub fn run(shop: &Shop, k: usize, seed: u64) -> Report {
        // The last order of each shopper with at least two orders is held out.
        let mut last: HashMap<&str, usize> = HashMap::new();
        let mut orders_of: HashMap<&str, usize> = HashMap::new();
        for (i, order) in shop.orders.iter().enumerate() {
            last.insert(order.shopper.as_str(), i);
            *orders_of.entry(order.shopper.as_str()).or_default() += 1;
        }
        let held: HashSet<usize> = last
            .iter()
            .filter(|(s, _)| orders_of[*s] >= 2)
            .map(|(_, &i)| i)
            .collect();
        let mut model = Model::default();
        for (i, order) in shop.orders.iter().enumerate() {
            if !held.contains(&i) {
                for product in &order.products {
                    model.add_purchase(&order.shopper, product);
                }
            }
        }
        let popular = model.popular();
        let ids: Vec<&str> = shop.products.iter().map(|(id, _)| id.as_str()).collect();
        let mut rng = Rng::new(seed ^ 0xdead_beef);
        let (mut fy, mut pop, mut rnd) = (Acc::default(), Acc::default(), Acc::default());
        let mut held_sorted: Vec<usize> = held.into_iter().collect();
        held_sorted.sort_unstable();
        for i in held_sorted {
            let order = &shop.orders[i];
            let bought: HashSet<&str> = model.history(&order.shopper).into_iter().collect();
            let repeat = |p: &str| shop.catalogue.get(p).is_some_and(|f| f.repeat_purchase);
            let in_stock = |p: &str| shop.catalogue.get(p).is_some_and(|f| f.in_stock);
            // What can be recommended at all: in stock, not bought before unless a consumable.
            let relevant: HashSet<&str> = order
                .products
                .iter()
                .map(String::as_str)
                .filter(|p| in_stock(p) && (!bought.contains(p) || repeat(p)))
                .collect();
            if relevant.is_empty() {
                continue;
            }
            let (mine, _) = for_you(&model, &shop.catalogue, Some(&order.shopper), &[], k);
            fy.add(&mine, &relevant, k);
            let baseline: Vec<String> = popular
                .iter()
                .filter(|p| in_stock(p) && (!bought.contains(*p) || repeat(p)))
                .take(k)
                .map(|p| (*p).to_owned())
                .collect();
            pop.add(&baseline, &relevant, k);
            let mut random = Vec::new();
            while random.len() < k && random.len() < ids.len() {
                let p = ids[rng.below(ids.len())];
                if in_stock(p)
                    && (!bought.contains(p) || repeat(p))
                    && !random.iter().any(|r: &String| r == p)
                {
                    random.push(p.to_owned());
                }
            }
            rnd.add(&random, &relevant, k);
        }
        let n = shop.products.len();
        Report {
            for_you: fy.finish(n),
            popular: pop.finish(n),
            random: rnd.finish(n),
            k,
        }
    }

    #[derive(Default)]
    struct Acc {
        recall: f64,
        ndcg: f64,
        count: usize,
        shown: HashSet<String>,
    }

    impl Acc {
        fn add(&mut self, list: &[String], relevant: &HashSet<&str>, k: usize) {
            let hits: Vec<bool> = list
                .iter()
                .take(k)
                .map(|p| relevant.contains(p.as_str()))
                .collect();
            let found = hits.iter().filter(|h| **h).count();
            self.recall += found as f64 / relevant.len().min(k) as f64;
            let dcg: f64 = hits
                .iter()
                .enumerate()
                .filter(|(_, h)| **h)
                .map(|(i, _)| 1.0 / ((i + 2) as f64).log2())
                .sum();
            let ideal: f64 = (0..relevant.len().min(k))
                .map(|i| 1.0 / ((i + 2) as f64).log2())
                .sum();
            self.ndcg += dcg / ideal;
            self.count += 1;
            self.shown.extend(list.iter().take(k).cloned());
        }

        fn finish(self, products: usize) -> Scores {
            let n = self.count.max(1) as f64;
            Scores {
                recall: self.recall / n,
                ndcg: self.ndcg / n,
                coverage: self.shown.len() as f64 / products.max(1) as f64,
                shoppers: self.count,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(category: &str, in_stock: bool, repeat: bool) -> Facts {
        Facts {
            category: category.into(),
            in_stock,
            repeat_purchase: repeat,
        }
    }

    /// A knitting shop: yarn buyers buy needles, sock buyers buy socks, and everybody buys the
    /// wool wash.
    fn knitting() -> (Model, HashMap<String, Facts>) {
        let catalogue: HashMap<String, Facts> = [
            ("yarn", facts("garn", true, true)),
            ("needles", facts("garn", true, false)),
            ("pattern", facts("garn", false, false)),
            ("socks", facts("tilbehor", true, false)),
            ("hat", facts("tilbehor", true, false)),
            ("wash", facts("pleie", true, true)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let mut model = Model::default();
        let orders: &[(&str, &[&str])] = &[
            ("a", &["yarn", "needles", "wash"]),
            ("b", &["yarn", "needles"]),
            ("c", &["yarn", "needles", "pattern"]),
            ("d", &["yarn", "pattern"]),
            ("e", &["socks", "hat", "wash"]),
            ("f", &["socks", "hat", "wash"]),
            ("g", &["socks", "wash"]),
            ("h", &["hat", "wash"]),
        ];
        for (shopper, products) in orders {
            for p in *products {
                model.add_purchase(shopper, p);
            }
        }
        (model, catalogue)
    }

    #[test]
    fn a_shopper_who_buys_yarn_gets_needles_before_socks() {
        let (mut model, catalogue) = knitting();
        model.add_purchase("ingrid", "yarn");
        let (rail, basis) = for_you(&model, &catalogue, Some("ingrid"), &[], 3);
        assert_eq!(rail[0], "needles", "{rail:?}");
        let needles = rail.iter().position(|p| p == "needles");
        let socks = rail.iter().position(|p| p == "socks");
        assert!(socks.is_none() || needles < socks, "{rail:?}");
        assert_eq!(basis[0], Basis::History);
        assert!(model.similarity("yarn", "needles") > model.similarity("yarn", "wash"));
    }

    #[test]
    fn what_she_bought_is_not_repeated_unless_it_is_bought_again_and_again() {
        let (mut model, catalogue) = knitting();
        for p in ["socks", "hat", "wash"] {
            model.add_purchase("kari", p);
        }
        let (rail, _) = for_you(&model, &catalogue, Some("kari"), &[], 6);
        assert!(
            !rail.contains(&"socks".to_owned()) && !rail.contains(&"hat".to_owned()),
            "{rail:?}"
        );
        // The wool wash is a consumable: it may come back.
        let (model2, _) = knitting();
        let mut model2 = model2;
        model2.add_purchase("mart", "socks");
        model2.add_purchase("mart", "wash");
        let (rail, _) = for_you(&model2, &catalogue, Some("mart"), &[], 6);
        assert!(rail.contains(&"hat".to_owned()), "{rail:?}");
    }

    #[test]
    fn stock_is_respected() {
        let (mut model, catalogue) = knitting();
        model.add_purchase("ingrid", "yarn");
        model.add_purchase("ingrid", "needles");
        let (rail, _) = for_you(&model, &catalogue, Some("ingrid"), &[], 6);
        assert!(!rail.contains(&"pattern".to_owned()), "sold out: {rail:?}");
    }

    #[test]
    fn a_guest_falls_back_to_her_views_then_their_categories_then_popular() {
        let (model, catalogue) = knitting();
        let (rail, basis) = for_you(&model, &catalogue, None, &["socks".to_owned()], 4);
        assert_eq!(basis[0], Basis::Viewed, "{basis:?}");
        assert!(rail.contains(&"hat".to_owned()), "{rail:?}");
        let (rail, basis) = for_you(&model, &catalogue, None, &[], 3);
        assert_eq!(basis, [Basis::Popular]);
        assert_eq!(rail[0], "wash", "bought by most shoppers");
        // Nothing learned yet: her views' categories, then the rest.
        let mut untaught = Model::default();
        untaught.add_purchase("z", "socks");
        untaught.add_purchase("y", "wash");
        let (rail, basis) = for_you(&untaught, &catalogue, None, &["hat".to_owned()], 2);
        assert_eq!(basis, [Basis::PopularInCategories, Basis::Popular]);
        assert_eq!(rail, ["socks", "wash"]);
    }

    #[test]
    fn a_cart_gets_what_goes_with_all_of_it() {
        let (model, catalogue) = knitting();
        let (rail, _) = for_cart(
            &model,
            &catalogue,
            &["socks".to_owned(), "hat".to_owned()],
            3,
        );
        assert_eq!(rail[0], "wash", "{rail:?}");
        assert!(!rail.contains(&"socks".to_owned()));
    }

    #[test]
    fn learning_is_incremental_and_counts_shoppers_not_units() {
        let mut model = Model::default();
        model.add_purchase("a", "x");
        model.add_purchase("a", "y");
        model.add_purchase("a", "y");
        assert_eq!((model.pairs(), model.purchases()), (1, 2));
        let before = model.similarity("x", "y");
        model.add_purchase("b", "x");
        model.add_purchase("b", "y");
        assert!(model.similarity("x", "y") > before);
    }

    #[test]
    fn the_generator_is_deterministic() {
        let shape = generator::Shape {
            seed: 7,
            products: 200,
            categories: 8,
            shoppers: 300,
            orders: 1200,
        };
        let a = generator::generate(shape);
        let b = generator::generate(shape);
        assert_eq!(a.orders, b.orders);
        assert_ne!(
            a.orders,
            generator::generate(generator::Shape { seed: 8, ..shape }).orders
        );
        assert_eq!(a.orders.len(), 1200);
        // A long tail: the most bought product is bought far more than the median one.
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for o in &a.orders {
            for p in &o.products {
                *counts.entry(p).or_default() += 1;
            }
        }
        let mut sorted: Vec<usize> = counts.values().copied().collect();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        assert!(
            sorted[0] > 5 * sorted[sorted.len() / 2],
            "{:?}",
            &sorted[..5]
        );
    }

    #[test]
    fn for_you_beats_popular_on_a_generated_shop() {
        let shop = generator::generate(generator::Shape {
            seed: 42,
            products: 400,
            categories: 12,
            shoppers: 800,
            orders: 4000,
        });
        let report = eval::run(&shop, 10, 42);
        assert!(
            report.for_you.recall >= 2.0 * report.popular.recall,
            "{report:?}"
        );
        assert!(report.popular.recall > report.random.recall, "{report:?}");
        assert!(
            report.for_you.coverage > report.popular.coverage,
            "{report:?}"
        );
    }
}
