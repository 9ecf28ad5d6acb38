"""A textured 3-D head built from one photo, rendered at any pose with the eyes open or closed.

The 68 landmarks of the photo get depths from a generic face profile (in inter-eye distances), a ring of
points around the face carries the head's outline, and the frame's border stays put.  A pose rotates the head
vertices about a vertical axis behind the face (weak perspective), then every triangle of a fixed Delaunay
mesh is warped from the photo (painter's order, nearest last).  This gives real motion parallax (the nose
moves more than the ears when the head turns), which is what separates a head from a flat photo.  It is a
test double for cameras, not a face generator: expect mild stretching at the sides of large turns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from biometrics.imaging import Image, as_bgr
from biometrics.landmarks import Points, eye_centres

# Depth of each of the 68 iBUG points in inter-eye distances, positive towards the camera, eye plane ≈ 0.
_JAW = [0.15 - 1.05 * abs((i - 8) / 8) ** 1.6 for i in range(17)]
_BROWS = [-0.25, 0.0, 0.1, 0.15, 0.15, 0.15, 0.15, 0.1, 0.0, -0.25]
_NOSE = [0.15, 0.25, 0.35, 0.5, 0.2, 0.28, 0.33, 0.28, 0.2]
_EYE = [-0.12, -0.03, -0.03, -0.02, -0.03, -0.03]
_EYE_B = [-0.02, -0.03, -0.03, -0.12, -0.03, -0.03]
_MOUTH = [0.05, 0.15, 0.22, 0.25, 0.22, 0.15, 0.05, 0.15, 0.2, 0.22, 0.2, 0.15]
_INNER = [0.07, 0.18, 0.2, 0.18, 0.07, 0.18, 0.2, 0.18]
DEPTH_68 = np.array(_JAW + _BROWS + _NOSE + _EYE + _EYE_B + _MOUTH + _INNER, dtype=np.float64)
_RING_N = 20
_RING_Z = -0.9
_PIVOT_Z = -1.1  # the neck axis, behind the eye plane
_STATIC_Z = -1e6
_UPPER_LIDS = ((37, 41), (38, 40), (43, 47), (44, 46))  # upper-lid point -> the lower-lid point below it


@dataclass(frozen=True, slots=True)
class HeadPose:
    """Pose of the rendered head: angles in degrees (yaw > 0: the subject turns to their own left, so the
    nose moves to the image's right), shift in pixels, scale about the face centre, eyes closed 0..1."""

    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
    dx: float = 0.0
    dy: float = 0.0
    scale: float = 1.0
    eyes_closed: float = 0.0


class HeadModel:
    """The mesh of one photo placed in a frame; :meth:`render` draws it at a :class:`HeadPose`."""

    def __init__(self, canvas: Image, landmarks: Points) -> None:
        self.canvas = canvas
        h, w = canvas.shape[:2]
        a, b = eye_centres(landmarks)
        self.unit = float(np.hypot(*(b - a)))
        self.centre = (a + b) / 2.0
        head_xy, head_z = self._head_vertices(landmarks)
        border = _border_points(w, h)
        self._n_head = len(head_xy)
        self.src = np.vstack([head_xy, border])
        self.z = np.concatenate([head_z, np.full(len(border), _STATIC_Z)])
        self.triangles = _delaunay(self.src, w, h)
        ys, xs = np.mgrid[0:h, 0:w]
        self._xs = xs.astype(np.float32)
        self._ys = ys.astype(np.float32)

    def _head_vertices(self, lm: Points) -> tuple[Points, npt.NDArray[np.float64]]:
        u, c = self.unit, self.centre
        up = np.array([0.0, -1.0])
        forehead = np.array([lm[i] + up * 0.7 * u for i in (17, 19, 21, 22, 24, 26)])
        fz = np.array([-0.45, -0.05, 0.05, 0.05, -0.05, -0.45])
        ang = np.linspace(0, 2 * math.pi, _RING_N, endpoint=False)
        ring = np.stack([c[0] + 1.55 * u * np.cos(ang), c[1] + 0.45 * u + 2.05 * u * np.sin(ang)], axis=1)
        xy = np.vstack([lm, forehead, ring])
        z = np.concatenate([DEPTH_68, fz, np.full(_RING_N, _RING_Z)]) * u
        return xy, z

    def _posed(self, pose: HeadPose) -> tuple[Points, npt.NDArray[np.float64]]:
        xy = self.src.copy()
        z = self.z.copy()
        n = self._n_head
        if pose.eyes_closed > 0:  # the upper lids come down onto the lower lids
            f = min(pose.eyes_closed, 1.0) * 0.97
            for upper, lower in _UPPER_LIDS:
                xy[upper] = xy[upper] + f * (xy[lower] - xy[upper])
        c = self.centre
        p = np.column_stack([xy[:n] - c, z[:n] - _PIVOT_Z * self.unit])
        yaw, pitch, roll = (math.radians(v) for v in (pose.yaw, pose.pitch, pose.roll))
        ry = np.array([[math.cos(yaw), 0, math.sin(yaw)], [0, 1, 0], [-math.sin(yaw), 0, math.cos(yaw)]])
        rx = np.array(
            [[1, 0, 0], [0, math.cos(pitch), -math.sin(pitch)], [0, math.sin(pitch), math.cos(pitch)]]
        )
        rz = np.array([[math.cos(roll), -math.sin(roll), 0], [math.sin(roll), math.cos(roll), 0], [0, 0, 1]])
        q = p @ (rz @ rx @ ry).T
        xy[:n] = c + pose.scale * q[:, :2] + (pose.dx, pose.dy)
        z[:n] = q[:, 2]
        return xy, z

    def render(self, pose: HeadPose) -> Image:
        """The frame at ``pose`` (a new array; the canvas is not modified)."""
        dst, z = self._posed(pose)
        h, w = self.canvas.shape[:2]
        order = np.argsort(z[self.triangles].mean(axis=1), kind="stable")
        index = np.full((h, w), -1, dtype=np.int32)
        inv = np.zeros((len(self.triangles), 2, 3), dtype=np.float64)
        for t in order:
            tri = self.triangles[t]
            d = dst[tri].astype(np.float32)
            area = (d[1, 0] - d[0, 0]) * (d[2, 1] - d[0, 1]) - (d[2, 0] - d[0, 0]) * (d[1, 1] - d[0, 1])
            if abs(area) < 0.5:
                continue
            inv[t] = cv2.getAffineTransform(d, self.src[tri].astype(np.float32))
            cv2.fillConvexPoly(index, np.round(d).astype(np.int32), int(t))
        m = inv[np.maximum(index, 0)]
        map_x = (m[..., 0, 0] * self._xs + m[..., 0, 1] * self._ys + m[..., 0, 2]).astype(np.float32)
        map_y = (m[..., 1, 0] * self._xs + m[..., 1, 1] * self._ys + m[..., 1, 2]).astype(np.float32)
        outside = index < 0
        map_x[outside] = self._xs[outside]
        map_y[outside] = self._ys[outside]
        return as_bgr(cv2.remap(self.canvas, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE))


def _border_points(w: int, h: int) -> Points:
    xs = np.linspace(0, w - 1, 5)
    ys = np.linspace(0, h - 1, 5)[1:-1]
    top = [(x, 0.0) for x in xs]
    bottom = [(x, h - 1.0) for x in xs]
    sides = [(0.0, y) for y in ys] + [(w - 1.0, y) for y in ys]
    return np.array(top + bottom + sides, dtype=np.float64)


def _delaunay(points: Points, w: int, h: int) -> npt.NDArray[np.intp]:
    """Triangles (vertex indices) of the Delaunay triangulation of ``points`` inside the frame."""
    sub = cv2.Subdiv2D((-1, -1, w + 2, h + 2))
    clipped = np.clip(points, [0, 0], [w - 1, h - 1])
    for x, y in clipped:
        sub.insert((float(x), float(y)))
    lookup = {(round(x * 4), round(y * 4)): i for i, (x, y) in enumerate(clipped)}
    tris = []
    for t in sub.getTriangleList():
        key = [(round(t[k] * 4), round(t[k + 1] * 4)) for k in (0, 2, 4)]
        if all(k in lookup for k in key):
            tris.append([lookup[k] for k in key])
    return np.array(tris, dtype=np.intp)
