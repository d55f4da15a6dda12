import { departureTests } from "./_testing.ts";
import { Search } from "./search.ts";

// Placement near the data is tested end to end in tests/search_test.ts.
departureTests("search", () => new Search());
