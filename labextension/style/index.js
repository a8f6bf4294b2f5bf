import './base.css';
import './sweeps.css';
import './widgets.css';
import './jobs.css';
import './ship.css';
