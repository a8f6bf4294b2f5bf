import './base.css';
import './sweeps.css';
import './widgets.css';
import './jobs.css';
import './ship.css';
// issue 10: explorer, run page, compare, diff
import './explore.css';
