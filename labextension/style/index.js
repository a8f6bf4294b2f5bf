import './base.css';
import './sweeps.css';
// issue 10: explorer, run page, compare, diff
import './explore.css';
