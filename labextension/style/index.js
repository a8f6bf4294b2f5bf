import './base.css';
import './sweeps.css';
import './jobs.css';
import './ship.css';
