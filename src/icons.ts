import { LabIcon } from '@jupyterlab/ui-components';

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <circle cx="6" cy="6" r="3"/><circle cx="18" cy="6" r="3"/><circle cx="12" cy="18" r="3"/>
    <path d="M7.5 8.2 10.6 15.4l1.8-.8L9.3 7.4zM16.5 8.2l-3.1 7.2-1.8-.8 3.1-7.2z"/>
  </g>
</svg>`;

export const studioCollabIcon = new LabIcon({ name: 'studio-collab:icon', svgstr: svg });
