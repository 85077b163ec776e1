import CalibyEngine

let db = try Caliby.open("vectors", create: true)
let index = try db.openOrCreateIndex("docs", config: IndexConfig(dimensions: 3, maxElements: 1000))
try index.insert([0.1, 0.2, 0.3], id: 1, replace: true)
for hit in try index.search([0.1, 0.2, 0.25], k: 1) { print(hit.id, hit.distance) }  // 1 0.002500001
try db.flush(); try db.close()
