import './base.css';
import './sweeps.css';
import './jobs.css';
