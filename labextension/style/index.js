import './base.css';
import './sweeps.css';
import './widgets.css';
