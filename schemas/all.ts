/** Imports every schema module so that all of them are registered (events, payments, saga, agent). */
import "./events/index.js";
import "./payments/index.js";
import "./agent/index.js";
import "./saga/index.js";
